//! A map over a vector of pairs, for the few keys of a cache entry (its stages, its
//! versions) and the few flights in progress: a linear search beats hashing at these
//! sizes, and its code is a fraction of a `HashMap` instantiation's in the WebAssembly build.
//! [`SortedMap`], the cache's entries by secret name, keeps its pairs sorted instead.

use std::borrow::Borrow;

/// A map of few entries, in insertion order.
#[derive(Debug, Clone)]
pub(crate) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<K: PartialEq, V> SmallMap<K, V> {
    fn position<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.0.iter().position(|(k, _)| k.borrow() == key)
    }

    pub(crate) fn get<Q: PartialEq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &self.0[i].1)
    }

    pub(crate) fn get_mut<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &mut self.0[i].1)
    }

    /// Sets `key` to `value`, replacing what it had.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self.position(&key) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// The value of `key`, made with `make` first if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.0.push((key, make()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    pub(crate) fn remove<Q: PartialEq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| self.0.swap_remove(i).1)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.0.iter()
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

/// A map from names to values over a vector sorted by name, for the cache's entries: a
/// lookup is a binary search; an insertion or removal moves the entries after it, which
/// happens when a secret is first read or evicted (a request to the service follows, and an
/// eviction scans every entry anyway). In the WebAssembly build its code is ~2.9 KB gzipped
/// less than a `HashMap`'s (hashbrown, SipHash and the random keys).
#[derive(Debug, Clone)]
pub(crate) struct SortedMap<V>(Vec<(String, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V> SortedMap<V> {
    /// Where `key` is (`Ok`) or would be inserted (`Err`).
    fn search(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.search(key).ok().map(|i| &self.0[i].1)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.search(key).ok().map(|i| &mut self.0[i].1)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.search(key).is_ok()
    }

    /// The value of `key`, made with `make` first if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.search(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_owned(), make()));
                i
            }
        };
        &mut self.0[i].1
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        self.search(key).ok().map(|i| self.0.remove(i).1)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(String, V)> {
        self.0.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;

    #[test]
    fn sorted_map_finds_every_name_whatever_the_insertion_order() {
        let mut map = SortedMap::default();
        let names: Vec<String> = (0..50).map(|i| format!("secret-{}", (i * 37) % 50)).collect();
        for (i, name) in names.iter().enumerate() {
            *map.get_or_insert_with(name, || 0) += i;
        }
        assert_eq!(map.len(), 50);
        for (i, name) in names.iter().enumerate() {
            assert_eq!(map.get(name), Some(&i), "{name}");
        }
        // A second get_or_insert_with finds the value instead of making one.
        assert_eq!(*map.get_or_insert_with("secret-7", || 999), names.iter().position(|n| n == "secret-7").unwrap());
        assert_eq!(map.remove("secret-7"), Some(names.iter().position(|n| n == "secret-7").unwrap()));
        assert!(!map.contains_key("secret-7") && map.get("secret-7").is_none() && map.remove("secret-7").is_none());
        assert!(map.contains_key("secret-8") && map.contains_key("secret-6"));
        let listed: Vec<&str> = map.iter().map(|(n, _)| n.as_str()).collect();
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "kept sorted");
        map.clear();
        assert!(map.is_empty());
    }
}
