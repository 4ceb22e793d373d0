//! Ordered maps and sets on sorted vectors, and the engine's one sort.
//!
//! Why not `BTreeMap`: in the WebAssembly module every `BTreeMap<K, V>` and
//! `BTreeSet<T>` type carries its own copy of the B-tree's node code
//! (insertion with splitting, removal with merging, bulk building with a
//! stable sort). With some thirty such types the B-tree and sort code was
//! 57 KB of the module's gzip size (book: performance chapter). A map on a
//! sorted vector is a binary search and a `Vec::insert`: a few hundred bytes
//! per type, and at the sizes a definition has (ids, topics, small sets of
//! items) as fast or faster.
//!
//! The cost is `O(n)` per insertion out of order. What can grow with the
//! analysis' state space is hashed (the reachable-value states, whose order
//! does not matter) or stays a `BTreeMap` (the analysis' observations);
//! maps filled from a whole sequence at once use `collect`, which sorts once
//! (`O(n log n)`).
//!
//! Iteration is in key order, as with the B-tree types, so every report,
//! diagnostic and statement keeps its order byte for byte.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

/// Sorts `v` stably by `cmp`, like `slice::sort_by`.
///
/// All element types share one instance of the standard library's sort: it
/// orders positions through a `dyn` comparison, and the elements are then
/// moved once into place.
pub(crate) fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = {
        let items: &[T] = v;
        positions(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => cmp(x, y),
                _ => Ordering::Equal,
            },
        )
    };
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// Sorts `v` stably by a key.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in its natural order.
pub(crate) fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// The positions `0..len` in the stable order `cmp` gives them.
fn positions(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// A map ordered by key, on a sorted vector of entries: the definition
/// model's texts and tables with free keys. Iterates, serializes and has the
/// JSON Schema of a `BTreeMap` with the same keys and values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the map has `key`.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// The value for `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Sets the value for `key`; the value it replaced, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // Keys often arrive in order: appending needs no search.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Keeps the value for `key` if there is one, or inserts `make()`.
    /// Returns whether it inserted.
    pub fn insert_if_absent(&mut self, key: K, make: impl FnOnce() -> V) -> bool {
        self.update(key, make, |_| {})
    }

    /// Applies `change` to the value for `key`, inserting `make()` first
    /// when there is none. Returns whether it inserted.
    pub fn update(
        &mut self,
        key: K,
        make: impl FnOnce() -> V,
        change: impl FnOnce(&mut V),
    ) -> bool {
        match self.find(&key) {
            Ok(i) => {
                if let Some((_, v)) = self.entries.get_mut(i) {
                    change(v);
                }
                false
            }
            Err(i) => {
                let mut value = make();
                change(&mut value);
                self.entries.insert(i, (key, value));
                true
            }
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Keys in order, consuming the map.
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }

    /// Values in key order, consuming the map.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// Like `BTreeMap`'s: of equal keys, the last value wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut all: Vec<(K, V)> = iter.into_iter().collect();
        sort_by(&mut all, |a, b| a.0.cmp(&b.0));
        let mut entries: Vec<(K, V)> = Vec::with_capacity(all.len());
        for (k, v) in all {
            match entries.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => entries.push((k, v)),
            }
        }
        Self { entries }
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

impl<K: JsonSchema, V: JsonSchema> JsonSchema for VecMap<K, V> {
    fn inline_schema() -> bool {
        <BTreeMap<K, V>>::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<K, V>>::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        <BTreeMap<K, V>>::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<K, V>>::json_schema(generator)
    }
}

/// A set ordered by value, on a sorted vector.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct VecSet<T> {
    items: Vec<T>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<T: Ord> VecSet<T> {
    /// An empty set.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn find<Q: Ord + ?Sized>(&self, value: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        self.items.binary_search_by(|v| v.borrow().cmp(value))
    }

    /// The number of values.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the set has `value`.
    pub(crate) fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(value).is_ok()
    }

    /// Adds `value`; whether it was new.
    pub(crate) fn insert(&mut self, value: T) -> bool {
        if self.items.last().is_none_or(|last| *last < value) {
            self.items.push(value);
            return true;
        }
        match self.find(&value) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, value);
                true
            }
        }
    }

    /// Removes `value`; whether it was there.
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        match self.find(value) {
            Ok(i) => {
                self.items.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Values in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Whether the two sets have no value in common.
    pub(crate) fn is_disjoint(&self, other: &Self) -> bool {
        let (mut a, mut b) = (self.items.iter().peekable(), other.items.iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            match x.cmp(y) {
                Ordering::Less => {
                    a.next();
                }
                Ordering::Greater => {
                    b.next();
                }
                Ordering::Equal => return false,
            }
        }
        true
    }

    /// Removes every value.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut items: Vec<T> = iter.into_iter().collect();
        sort(&mut items);
        items.dedup();
        Self { items }
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// The vector map behaves as the B-tree map under any sequence of
        /// inserts, updates and lookups, and iterates in the same order.
        #[test]
        fn map_matches_btree(ops in proptest::collection::vec((0u8..40, any::<u16>(), 0u8..3), 0..200)) {
            let mut ours = VecMap::new();
            let mut theirs = BTreeMap::new();
            for (k, v, op) in ops {
                match op {
                    0 => prop_assert_eq!(ours.insert(k, v), theirs.insert(k, v)),
                    1 => {
                        let inserted = ours.update(k, || v, |x| *x = x.wrapping_add(1));
                        prop_assert_eq!(inserted, !theirs.contains_key(&k));
                        let x = theirs.entry(k).or_insert(v);
                        *x = x.wrapping_add(1);
                    }
                    _ => prop_assert_eq!(ours.get(&k), theirs.get(&k)),
                }
                prop_assert_eq!(ours.len(), theirs.len());
            }
            prop_assert!(ours.iter().eq(theirs.iter()));
            prop_assert!(ours.keys().rev().eq(theirs.keys().rev()));
        }

        /// `collect` keeps the last value of equal keys, as `BTreeMap` does.
        #[test]
        fn map_collect_matches_btree(pairs in proptest::collection::vec((0u8..20, any::<u16>()), 0..100)) {
            let ours: VecMap<u8, u16> = pairs.iter().copied().collect();
            let theirs: BTreeMap<u8, u16> = pairs.iter().copied().collect();
            prop_assert!(ours.into_iter().eq(theirs));
        }

        #[test]
        fn set_matches_btree(ops in proptest::collection::vec((0u8..40, any::<bool>()), 0..200)) {
            let mut ours = VecSet::new();
            let mut theirs = BTreeSet::new();
            for (v, add) in ops {
                if add {
                    prop_assert_eq!(ours.insert(v), theirs.insert(v));
                } else {
                    prop_assert_eq!(ours.remove(&v), theirs.remove(&v));
                }
                prop_assert_eq!(ours.contains(&v), theirs.contains(&v));
            }
            prop_assert!(ours.iter().eq(theirs.iter()));
            let collected: VecSet<u8> = theirs.iter().rev().copied().collect();
            prop_assert_eq!(collected, ours);
        }

        /// The shared sort is stable and agrees with the standard one.
        #[test]
        fn sort_matches_std(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..300)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut theirs = v;
            theirs.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, theirs);
        }
    }
}
