//! Issue 13: time expressions, plates and addresses across five languages' conventions,
//! the evasion tricks (invisible characters, look-alike letters, spaced and line-broken
//! digits), and the false positives that blocked publishing for nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use circle_anonymise::{redact, Anonymiser, Finding, Kind, Lexicon};

fn scan_with(lexicon: &Lexicon, text: &str) -> Vec<Finding> {
    let found = Anonymiser::new(lexicon).scan(text);
    for f in &found {
        // Offsets always point into the text as given, whatever was normalised.
        assert_eq!(&text[f.start..f.end], f.text, "in {text:?}");
    }
    found
}

fn kinds_in(text: &str) -> Vec<(Kind, String)> {
    scan_with(&Lexicon::default(), text)
        .into_iter()
        .map(|f| (f.kind, f.text))
        .collect()
}

/// `text` yields exactly one finding, of `kind`, covering `surface`.
fn one(kind: Kind, text: &str, surface: &str) {
    let found = kinds_in(text);
    assert_eq!(found.len(), 1, "{text:?}: {found:?}");
    assert_eq!(found[0].0, kind, "{text:?}: {found:?}");
    assert!(
        found[0].1.contains(surface),
        "{text:?}: {:?} does not cover {surface:?}",
        found[0].1
    );
}

fn clean(text: &str) {
    assert_eq!(kinds_in(text), vec![], "{text:?}");
}

#[test]
fn military_and_twelve_hour_times() {
    use Kind::DateTime as T;
    one(T, "we moved at 0615 hours sharp", "0615 hours");
    one(T, "done by 2000h, then home", "2000h");
    one(T, "gate shut 2240hrs", "2240hrs");
    one(T, "briefing 1130-1245 in the hall", "1130-1245");
    one(T, "meet at 0545", "0545");
    one(T, "doors at 8 p.m. and not before", "8 p.m.");
    one(T, "doors 9pm sharp", "9pm");
    one(T, "doors at 6 pm", "6 pm");
    // Years, counts and durations are not times.
    clean("the strikes of 1972-1974 changed the union");
    clean("we logged 1200 hours of volunteering");
    clean("by 2030 the lease runs out");
    clean("about 200 people came");
}

#[test]
fn times_in_words() {
    use Kind::DateTime as T;
    one(T, "we left at twenty to nine", "twenty to nine");
    one(T, "back by quarter past eleven", "quarter past eleven");
    one(T, "the van came shortly before midnight", "before midnight");
    one(T, "meet at half three by the gate", "half three");
    one(T, "it starts at nine o'clock", "nine o'clock");
    one(T, "see you at seven.", "seven");
    clean("we went in one by one");
    clean("burning the midnight oil on the leaflets");
    clean("at six people per car we need four cars");
}

#[test]
fn times_in_other_languages() {
    use Kind::DateTime as T;
    one(
        T,
        "Quedamos a las nueve y cuarto en la plaza",
        "nueve y cuarto",
    );
    one(T, "salimos a las cinco de la mañana", "cinco de la mañana");
    one(T, "volvimos pasada la medianoche", "medianoche");
    one(T, "Rendez-vous à 7 h 45 devant la mairie", "7 h 45");
    one(
        T,
        "on finit vers onze heures du soir",
        "onze heures du soir",
    );
    one(T, "Treffen um Viertel vor acht am Tor", "Viertel vor acht");
    one(T, "wir kommen um halb neun", "halb neun");
    one(T, "ci vediamo alle 21 davanti al bar", "alle 21");
    one(T, "arriviamo alle nove e mezza", "nove e mezza");
    clean("abbiamo dato volantini alle 35 persone");
    clean("à 3 heures de route de la ville");
}

#[test]
fn licence_plates_in_national_formats() {
    use Kind::LicencePlate as P;
    one(P, "the car was 4KLM927 again", "4KLM927");
    one(P, "a grey one, TRW-5521, followed us", "TRW-5521");
    one(P, "Wagen mit HB-XY 731 stand da", "HB-XY 731");
    one(P, "voiture JK-381-PT devant", "JK-381-PT");
    one(P, "the van NX67 FPD was there", "NX67 FPD");
    one(P, "coche 9921 MTB aparcado", "9921 MTB");
    one(P, "auto BZ 412 KM in doppia fila", "BZ 412 KM");
    // Any national shape after a plate word.
    one(P, "its reg is 88-KJ-4", "88-KJ-4");
    one(P, "la matrícula era M 1234 ZX", "M 1234 ZX");
    clean("certified to ISO-9001 since last year");
    clean("see RFC-5737 for the test ranges");
}

#[test]
fn addresses_with_units() {
    use Kind::Address as A;
    one(
        A,
        "they live at the 2nd floor of 9 Ash Grove now",
        "2nd floor of 9 Ash Grove",
    );
    one(
        A,
        "post it to flat 2, 61 Cedar Road please",
        "flat 2, 61 Cedar Road",
    );
    one(
        A,
        "on est au Rue Mouffetard 41 ce soir",
        "Rue Mouffetard 41",
    );
    one(A, "rendez-vous au 3 rue des Écoles", "3 rue des Écoles");
    one(
        A,
        "Ci vediamo in Via Nizza 14, scala C, interno 3",
        "Via Nizza 14, scala C, interno 3",
    );
    one(
        A,
        "La casa está en Calle Ribera 7, 3º izquierda",
        "Calle Ribera 7, 3º izquierda",
    );
    one(
        A,
        "Treffpunkt Lindenstraße 8, Hinterhaus, 3. OG",
        "Lindenstraße 8, Hinterhaus, 3. OG",
    );
    one(A, "es ist die Frankfurter Allee 12", "Frankfurter Allee 12");
    clean("Bring 5 pounds if you can");
}

#[test]
fn invisible_and_look_alike_characters_do_not_hide_an_alias() {
    let lex = Lexicon {
        member_aliases: vec!["Marmot".into(), "Red Fox".into()],
        redact_words: vec!["Blue Van".into()],
    };
    // Cyrillic "а" (U+0430), a zero-width space, fullwidth letters, a soft hyphen.
    for text in [
        "ask M\u{0430}rmot first",
        "ask Mar\u{200b}mot first",
        "ask ＭＡＲＭＯＴ first",
        "ask Mar\u{ad}mot first",
        "ask R\u{0435}d F\u{043e}x first",
    ] {
        let found = scan_with(&lex, text);
        assert_eq!(found.len(), 1, "{text:?}: {found:?}");
        assert_eq!(found[0].kind, Kind::MemberAlias, "{text:?}");
        assert!(found[0].text.starts_with(['M', 'R', 'Ｍ']), "{found:?}");
        assert_eq!(
            redact(text, &found),
            "ask [REDACTED:member_alias] first",
            "{text:?}"
        );
    }
    let found = scan_with(&lex, "the Blue\u{200d} Van is out");
    assert_eq!(found[0].kind, Kind::RedactWord);
    // An alias registered with a look-alike letter still meets its plain spelling.
    let odd = Lexicon {
        member_aliases: vec!["K\u{0435}strel".into()],
        redact_words: vec![],
    };
    assert_eq!(
        scan_with(&odd, "Kestrel said no")[0].kind,
        Kind::MemberAlias
    );
    // Text in another script is left alone.
    assert_eq!(scan_with(&lex, "Встреча в парке"), vec![]);
}

#[test]
fn spaced_and_line_broken_digits_do_not_hide_a_number() {
    use Kind::Phone as Ph;
    let text = "Call 5 5 5 – 0 1 2 3 tonight";
    let found = kinds_in(text);
    assert_eq!(found, vec![(Ph, "5 5 5 – 0 1 2 3".to_string())]);
    one(
        Ph,
        "or 0 7 7 0 0 9 0 0 3 2 1 instead",
        "0 7 7 0 0 9 0 0 3 2 1",
    );
    one(Ph, "the number is (312) 555-\n0123 now", "(312) 555-\n0123");
    one(Ph, "ring 020 7946\n0018 tomorrow", "020 7946\n0018");
    // A numbered list after a time is not glued onto it.
    let list = "Doors at 18:00\n2. Bring food\n3. Bring chairs";
    assert_eq!(kinds_in(list), vec![(Kind::DateTime, "18:00".to_string())]);
    // Offsets are into the original text, spaces and line breaks included.
    let found = scan_with(&Lexicon::default(), "x (312) 555-\n0123");
    assert_eq!((found[0].start, found[0].end), (2, 17));
}

#[test]
fn a_heading_word_is_not_a_name() {
    clean("# Long zine\n\nWhat we learned from the strike.");
    clean("## Long night at the depot");
}

/// The held-out misses of the first issue-13 set, as families: a French type-first street
/// followed by more words, a capitalised opener before "said"/"asked", a zero-padded 24-hour
/// block after "at" followed by an article.
#[test]
fn french_number_first_street_followed_by_words() {
    use Kind::Address as A;
    one(A, "come to 12 rue de la Paix now", "12 rue de la Paix");
    let found = kinds_in("come to 12 rue de la Paix now");
    assert_eq!(found[0].1, "12 rue de la Paix", "{found:?}");
    one(
        A,
        "rendez-vous au 5 bis avenue Jean Jaurès ce soir",
        "5 bis avenue Jean Jaurès",
    );
    one(
        A,
        "au 21 avenue du Général de Gaulle devant la porte",
        "Général de Gaulle",
    );
    one(
        A,
        "on se retrouve Place de la République 10 demain",
        "Place de la République 10",
    );
    one(
        A,
        "il presidio è in Strada Nuova 14 stasera",
        "Strada Nuova 14",
    );
    clean("la rue est à nous");
}

#[test]
fn a_capitalised_opener_before_said_is_not_a_name() {
    clean("Someone asked about the rent.");
    clean("Everyone said it was fine.");
    clean("Nobody told the landlord, and nobody asked.");
    clean("Die Vermieterin sagte nichts.");
    clean("Quelqu'un a dit non.");
    clean("Alguien dijo que no.");
    clean("Qualcuno ha detto di no.");
    // A word the same text writes in lowercase is an ordinary word at a sentence start.
    clean("Organisers said the march was peaceful. The organisers left early.");
    // Names before "said" still count, in the five languages.
    one(Kind::PersonName, "Kemi said the van was late.", "Kemi");
    one(Kind::PersonName, "Lo ha detto Marco.", "Marco");
    one(Kind::PersonName, "Il sindaco Rossi ha detto no.", "Rossi");
}

#[test]
fn zero_padded_block_after_a_preposition_and_ranges() {
    use Kind::DateTime as T;
    one(T, "also at 0630 the bakery run", "at 0630");
    one(T, "we meet at 1745 the usual place", "at 1745");
    one(T, "shift between 9 and 11am", "between 9 and 11am");
    one(T, "pickets from 6 to 8 pm only", "from 6 to 8 pm");
    one(
        T,
        "presidio dalle 18 alle 20 davanti al comune",
        "dalle 18 alle 20",
    );
    one(T, "permanence entre 18 h et 20 h", "entre 18 h et 20 h");
    one(T, "reparto de 18 a 20 h", "de 18 a 20 h");
    one(T, "meet half seven at the gate", "half seven");
    one(T, "we go eight-thirty", "eight-thirty");
    one(T, "back by seven in the evening", "seven in the evening");
    one(T, "festa il primo maggio", "primo maggio");
    one(T, "until the first of May", "first of May");
    // Counts, rates and years stay clean.
    clean("at 2000 metres the air is thin");
    clean("half seven-year-olds, half adults");
    clean("we sold six thirty-page zines");
    clean("pages 9 and 11 of the guide");
}

/// Families from the second issue-13 held-out set (300-314, now tuning files).
#[test]
fn zero_padded_blocks_departures_and_french_de_hours() {
    use Kind::DateTime as T;
    one(T, "- 0610-ish: van arrives", "0610");
    one(T, "the 0800 bus was cancelled", "0800");
    one(T, "we caught the 1745 train home", "1745");
    one(T, "shift 0900 to 1700 daily", "0900 to 1700");
    one(T, "la réunion de 20 h est reportée", "20 h");
    one(
        T,
        "Desalojo, llegad antes de las nueve.",
        "antes de las nueve",
    );
    // Round 9: a relative day written with the time is part of it.
    let found = kinds_in("Debrief tonight at 8 at the usual place.");
    assert_eq!(found, vec![(T, "tonight at 8".to_string())]);
    // Codes, numbers and durations with a leading zero or a "de" stay clean.
    clean("PIN 0745 for the door");
    clean("room 0610 is booked");
    clean("ask for a 0800 number");
    clean("une marche de 3 h");
    clean("the strikes of 1972 to 1974");
    one(Kind::Phone, "call 0800 123 4567 now", "0800 123 4567");
}

#[test]
fn a_plate_after_a_vehicle_noun() {
    use Kind::LicencePlate as P;
    one(P, "the security van KXM 4471 arrived", "KXM 4471");
    one(P, "el coche 1234 BCD otra vez", "1234 BCD");
    // A model name is not a plate: it needs two letters and two digits.
    clean("the car BMW X5 was parked");
    clean("the van VW T5 again");
}

#[test]
fn lowercase_titles_and_place_names_in_lists() {
    use Kind::PersonName as N;
    one(
        N,
        "L'avvocato Ferri ha ottenuto un rinvio.",
        "avvocato Ferri",
    );
    one(
        N,
        "la abogada Iglesias habló con el juez.",
        "abogada Iglesias",
    );
    one(N, "el señor García no vino.", "señor García");
    clean("we don Hi-Vis vests at the gate");
    clean("Victoria Park, the M25, Crystal Palace, Jordan, Florence and Georgia came up.");
    // Outside a list of places the same names are people.
    one(
        N,
        "We met Florence at the station, then went home.",
        "Florence",
    );
}

/// Families from the third issue-13 held-out set (400-414, now tuning files).
#[test]
fn hours_before_quotes_line_ends_and_articles() {
    use Kind::DateTime as T;
    one(T, "she was \"in a meeting until two\".", "until two");
    one(T, "la preside ci riceve alle 9\nsiamo già in 40", "alle 9");
    one(T, "Debrief at 7\nbring food", "at 7");
    one(T, "2. At 11 a senior officer came down.", "At 11");
    clean("they were paid at 5 a week");
}

#[test]
fn desks_before_said_and_house_parts_alone() {
    clean("1. We asked. Reception said she was busy.");
    clean("Management said no. Security told us to leave.");
    one(Kind::PersonName, "Constance said no.", "Constance");
    use Kind::Address as A;
    one(
        A,
        "die Heizung im Seitenflügel, 2. OG rechts ist aus",
        "Seitenflügel, 2. OG rechts",
    );
    one(A, "wir wohnen im 3. Stock links", "3. Stock links");
    one(A, "vive en el 3º izquierda", "3º izquierda");
    clean("sie kommen aus dem 3. OG und aus dem Vorderhaus");
    clean("la 5ª A ha vinto");
}

/// Families from the fourth issue-13 held-out set (500-514, now tuning files).
#[test]
fn romance_streets_without_a_number() {
    use Kind::Address as A;
    one(
        A,
        "Partenza da Piazzale Loreto con tutti",
        "Piazzale Loreto",
    );
    one(
        A,
        "arrivo in Piazza della Scala, poi a casa",
        "Piazza della Scala",
    );
    one(A, "ci vediamo in via dei Volsci domani", "via dei Volsci");
    one(A, "la manifestación sale de Plaza Mayor", "Plaza Mayor");
    clean("Via Zoom we met 40 people.");
    clean("We travelled via London.");
    clean("Corso Italia is a course we ran last year.");
}

#[test]
fn declined_titles_capitalised_particles_and_log_times() {
    use Kind::PersonName as N;
    one(N, "ein Schreiben von Herrn Schubert kam", "Herrn Schubert");
    one(N, "il preside, dottor Mancini, voleva", "dottor Mancini");
    let found = kinds_in("Ha parlato Samira El Idrissi per le famiglie.");
    assert_eq!(found, vec![(N, "Samira El Idrissi".to_string())]);
    use Kind::DateTime as T;
    one(T, "Räumung morgen um 7 Uhr!", "um 7 Uhr");
    let log = "08:50 arrived\n09:40 solicitor arrives\n10.25 case called\n";
    let times: Vec<String> = kinds_in(log).into_iter().map(|(_, t)| t).collect();
    assert_eq!(times, ["08:50", "09:40", "10.25"]);
    // Outside a log a dotted number is a price.
    clean("It cost 10.25 in total.\n10.50 for the bus");
}

#[test]
fn wide_gaps_and_spelt_out_aliases() {
    one(
        Kind::Phone,
        "ring 07700  900  317 if locked",
        "07700  900  317",
    );
    let lex = Lexicon {
        member_aliases: vec!["Moth".into()],
        redact_words: vec![],
    };
    let found = scan_with(&lex, "claimed by M o t h today");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].text.as_str()),
        (Kind::MemberAlias, "M o t h")
    );
    // Ordinary single letters are left alone.
    assert_eq!(scan_with(&lex, "options a, b or c"), vec![]);
}

/// Families from the fifth issue-13 held-out set (600-614, now tuning files).
#[test]
fn time_led_logs_german_digit_hours_and_spanish_day_parts() {
    use Kind::DateTime as T;
    let log =
        "- 2100 doors open, 14 guests.\n- 2315 police called.\n- Breakfast 0700-0830. 16 guests.\n";
    let found = kinds_in(log);
    let times: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(times, ["2100", "2315", "0700-0830"], "{found:?}");
    assert!(found.iter().all(|(k, _)| *k == T), "{found:?}");
    // A list of years is not a log.
    clean("- 1984 miners strike\n- 2019 branch founded\n- 2021 rent strike\n");
    one(T, "wir sind ab 4\nbis dann", "ab 4");
    one(T, "Kundgebung um 10 vor dem Rathaus", "um 10");
    clean("bis 10 Leute passen rein");
    one(
        T,
        "empezó un lunes a las cinco y media de la mañana, cuando",
        "a las cinco y media de la mañana",
    );
}

#[test]
fn month_given_names_sentence_end_initials_and_place_name_lists() {
    use Kind::PersonName as N;
    one(N, "Ausgezahlt hat Jan Petersen.", "Jan Petersen");
    clean("We met in Jan. It was cold.");
    let found = kinds_in("au 19 rue des Cascades, escalier B. Huissier arrivé.");
    assert!(found.iter().all(|(k, _)| *k == Kind::Address), "{found:?}");
    clean("Our branch meets in rooms named Victoria, Florence and Jordan, after the old leaders.");
    clean("Jordan, Chelsea and Florence are the names of the meeting rooms.");
    one(N, "Jordan and Florence came to the hall.", "Florence");
}

/// Families behind the sixth issue-13 held-out set's misses (700-714).
#[test]
fn set_six_families() {
    use Kind::{Address as A, DateTime as T, PersonName as N};
    // French hours with "h" and no preposition; durations stay clean.
    one(T, "départ 14 h devant la gare", "14 h");
    one(T, "rdv 18h devant la mairie", "18h");
    clean("la réunion a duré 2 h");
    clean("pendant 3 h on a attendu");
    clean("un trajet de 3 h de route");
    // A bare hour before a weekday, a hedge, Italian "ore 21", the 7.30 train.
    one(T, "move the gazebo at 8 Saturday", "at 8");
    one(T, "we met at 6ish", "6ish");
    one(T, "appuntamento ore 21 davanti", "ore 21");
    one(T, "we caught the 7.30 train", "7.30");
    one(T, "am Dienstag den 4.3. geht es los", "4.3.");
    // Streets and squares named without a number, lowercase types, industrial estates.
    one(A, "RDV place de la Bastille", "place de la Bastille");
    one(A, "on est rue Oberkampf", "rue Oberkampf");
    clean("à la place de votre soutien, merci");
    one(A, "wir stehen in der Bergmannstraße", "Bergmannstraße");
    clean("wir stehen in der Hauptstraße");
    one(A, "Treffpunkt Karl-Marx-Str. 84", "Karl-Marx-Str. 84");
    one(
        A,
        "ci vediamo in piazza Garibaldi 3, interno 5",
        "interno 5",
    );
    one(
        A,
        "almacén del Polígono Industrial Las Mercedes, nave 14",
        "nave 14",
    );
    clean("we went via London 3 times");
    // Names: compound given names, two particles, names outside the old lists.
    one(N, "hier Jean-Baptiste Koné est venu", "Jean-Baptiste Koné");
    one(N, "ayer María de la Fuente habló", "María de la Fuente");
    one(N, "then Pieter van der Berg spoke", "Pieter van der Berg");
    one(N, "ensuite Amine prend les notes", "Amine");
    clean("Saint-Denis est loin.");
    // A list of words that are names only in the weak sense.
    clean("Grace, Hope and Will were the names of the three boats.");
}

/// Families behind the seventh issue-13 held-out set's misses (800-829).
#[test]
fn set_seven_families() {
    use Kind::{Address as A, DateTime as T, LicencePlate as P, PersonName as N};
    // Parts of an address written one after the other with a comma are one address.
    one(
        A,
        "cleaned Halden House, 40 Wellington Row for years",
        "Halden House, 40 Wellington Row",
    );
    one(
        A,
        "in the community room, Block C, Kestrel Estate.",
        "Block C, Kestrel Estate",
    );
    one(
        A,
        "la entrada del Polígono Los Olivos, calle Diésel 14.",
        "Polígono Los Olivos, calle Diésel 14",
    );
    // Units and blocks alone, abbreviated and saint-led streets, lowercase Romance streets.
    one(A, "the tenant in flat 43 cannot leave", "flat 43");
    clean("a flat 20 percent rise");
    one(A, "police on Fernbank Rd now", "Fernbank Rd");
    one(
        A,
        "the vigil moved to St Agnes Place tonight",
        "St Agnes Place",
    );
    one(
        A,
        "por la puerta trasera, en la calle Fundición",
        "calle Fundición",
    );
    one(
        A,
        "identificaciones en la plaza de Cascorro ahora",
        "plaza de Cascorro",
    );
    one(
        A,
        "il magazzino in strada della Torre della Razza 21",
        "strada della Torre della Razza 21",
    );
    one(
        A,
        "les locataires de la cité des Courtillières",
        "cité des Courtillières",
    );
    one(A, "Treffpunkt am Lausitzer Platz", "Lausitzer Platz");
    one(A, "zogen vom Augustusplatz los", "Augustusplatz");
    clean("wir treffen uns am Arbeitsplatz");
    // A building letter is not a person's initial; letters glued to digits are no name.
    let found = kinds_in("contacts : bât. D Geneviève Roussel, bât. A Moussa Cissé");
    assert!(
        found.contains(&(N, "Geneviève Roussel".to_string())),
        "{found:?}"
    );
    one(P, "white Transit MA19 CXE outside", "MA19 CXE");
    one(P, "un remolque con R-4417-BCD", "R-4417-BCD");
    // Dates and times: weekday and part of the day kept with the time, ordinals after
    // "to"/"for", "half 5", French and Italian weekday with a day number.
    one(T, "à trier samedi matin 10 h, merci", "samedi matin 10 h");
    one(
        T,
        "Am Samstag, dem 22. November, zogen wir los",
        "Samstag, dem 22. November",
    );
    one(T, "un presidio dalle 7 del mattino", "dalle 7 del mattino");
    one(
        T,
        "that night, a quarter past ten at night",
        "a quarter past ten at night",
    );
    one(T, "eviction postponed to the 18th.", "the 18th");
    clean("residents on the 8th to 11th floors carry shopping up");
    one(T, "drop at the hall by half 5 pls", "half 5");
    one(T, "permanence le samedi 29 au local", "samedi 29");
    one(T, "Alle cinque eravamo già in 120.", "Alle cinque");
    clean("alle tre sorelle abbiamo scritto");
    // Names: a surname before a household noun, a particle after a family cue, "Me".
    one(N, "court support for the Adebayo hearing", "Adebayo");
    one(
        N,
        "lo sfratto della famiglia El Amrani è fissato",
        "El Amrani",
    );
    one(
        N,
        "notre avocat, Me Olivier Dumas, a répondu",
        "Olivier Dumas",
    );
    one(N, "Venez. Famille Traoré, merci.", "Traoré");
    clean("Fang klein an.");
}
