//! Deep copies of document values into a transaction, in a fixed order, so that every
//! node copying the same history writes the same operations (and so the same change).

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ObjId, ObjType, Prop, ReadDoc, Value};

/// Copies the current value of `src_obj[key]` in `src` to `dst_obj[key]`.
pub(crate) fn copy_key(
    src: &Automerge,
    src_obj: &ObjId,
    key: &str,
    tx: &mut Transaction<'_>,
    dst_obj: &ObjId,
) -> Result<(), AutomergeError> {
    if let Some((value, id)) = src.get(src_obj, key)? {
        put_value(
            src,
            value,
            &id,
            tx,
            dst_obj,
            Prop::Map(key.to_owned()),
            false,
        )?;
    }
    Ok(())
}

/// Copies every key of the map `src_obj` (in key order) into the map `dst_obj`.
pub(crate) fn copy_map(
    src: &Automerge,
    src_obj: &ObjId,
    tx: &mut Transaction<'_>,
    dst_obj: &ObjId,
) -> Result<(), AutomergeError> {
    let keys: Vec<String> = src.keys(src_obj).collect();
    for k in keys {
        copy_key(src, src_obj, &k, tx, dst_obj)?;
    }
    Ok(())
}

fn put_value(
    src: &Automerge,
    value: Value<'_>,
    id: &ObjId,
    tx: &mut Transaction<'_>,
    dst_obj: &ObjId,
    prop: Prop,
    insert: bool,
) -> Result<(), AutomergeError> {
    let scalar = match value {
        Value::Scalar(s) => s.into_owned(),
        Value::Object(kind) => {
            let child = match (&prop, insert) {
                (Prop::Seq(i), true) => tx.insert_object(dst_obj, *i, kind)?,
                _ => tx.put_object(dst_obj, prop, kind)?,
            };
            return copy_object(src, id, kind, tx, &child);
        }
    };
    match (prop, insert) {
        (Prop::Seq(i), true) => tx.insert(dst_obj, i, scalar),
        (prop, _) => tx.put(dst_obj, prop, scalar),
    }
}

fn copy_object(
    src: &Automerge,
    obj: &ObjId,
    kind: ObjType,
    tx: &mut Transaction<'_>,
    dst: &ObjId,
) -> Result<(), AutomergeError> {
    match kind {
        ObjType::Map | ObjType::Table => copy_map(src, obj, tx, dst),
        ObjType::List => {
            let mut at = 0;
            for i in 0..src.length(obj) {
                if let Some((value, id)) = src.get(obj, i)? {
                    put_value(src, value, &id, tx, dst, Prop::Seq(at), true)?;
                    at += 1;
                }
            }
            Ok(())
        }
        ObjType::Text => {
            let text = src.text(obj)?;
            tx.splice_text(dst, 0, 0, &text)
        }
    }
}
