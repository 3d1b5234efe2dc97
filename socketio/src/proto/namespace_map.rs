//! The namespaces of one connection, by name: a sorted `Vec`, since a connection has one or two
//! (a `BTreeMap` allocates a node of eleven slots, over a kilobyte, for the first one).

use super::namespace_state::NamespaceState;
use super::packet::Namespace;

/// A connection's namespaces and their states, in name order.
#[derive(Debug)]
pub(crate) struct NamespaceMap<W> {
    entries: Vec<(Namespace, NamespaceState<W>)>,
}

impl<W> Default for NamespaceMap<W> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<W> NamespaceMap<W> {
    /// Where `nsp` is, or where it would go.
    #[inline]
    fn find(&self, nsp: &str) -> Result<usize, usize> {
        // The main namespace, which nearly every packet is on, is the first entry when present
        // (`/` sorts before every other name, which starts with it): one look, inline, instead
        // of a call that saves and restores six registers, twice per packet.
        if nsp == "/" {
            if let Some((first, _)) = self.entries.first() {
                if first.as_str() == "/" {
                    return Ok(0);
                }
            }
        }
        self.scan(nsp)
    }

    /// [`NamespaceMap::find`] for any other name. Never inlined, so that the look for `/` stays
    /// small enough to be inlined without the scan's register saves.
    #[inline(never)]
    fn scan(&self, nsp: &str) -> Result<usize, usize> {
        // One or two entries, with short names: a scan comparing bytes inline beats a binary
        // search calling `memcmp` (this runs for every packet sent).
        let nsp = nsp.as_bytes();
        for (index, (name, _)) in self.entries.iter().enumerate() {
            let name = name.as_str().as_bytes();
            if name.len() == nsp.len() && name.iter().zip(nsp).all(|(a, b)| a == b) {
                return Ok(index);
            }
        }
        let after = self
            .entries
            .partition_point(|(name, _)| name.as_str().as_bytes() < nsp);
        Err(after)
    }

    pub(crate) fn get(&self, nsp: &str) -> Option<&NamespaceState<W>> {
        self.get_key_value(nsp).map(|(_, state)| state)
    }

    pub(crate) fn get_key_value(&self, nsp: &str) -> Option<(&Namespace, &NamespaceState<W>)> {
        let index = self.find(nsp).ok()?;
        let (name, state) = &self.entries[index];
        Some((name, state))
    }

    pub(crate) fn get_mut(&mut self, nsp: &str) -> Option<&mut NamespaceState<W>> {
        let index = self.find(nsp).ok()?;
        Some(&mut self.entries[index].1)
    }

    /// Sets the state of `nsp`, giving back the one it replaces.
    pub(crate) fn insert(
        &mut self,
        nsp: Namespace,
        state: NamespaceState<W>,
    ) -> Option<NamespaceState<W>> {
        match self.find(nsp.as_str()) {
            Ok(index) => Some(std::mem::replace(&mut self.entries[index].1, state)),
            Err(index) => {
                // Room for just this one (most connections join one or two namespaces; a `Vec`
                // would make room for four at once, and an entry is over a hundred bytes).
                self.entries.reserve_exact(1);
                self.entries.insert(index, (nsp, state));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, nsp: &str) -> Option<NamespaceState<W>> {
        let index = self.find(nsp).ok()?;
        let (_, state) = self.entries.remove(index);
        if self.entries.is_empty() {
            // A connection that left every namespace keeps no memory for them.
            self.entries = Vec::new();
        }
        Some(state)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Namespace, &NamespaceState<W>)> {
        self.entries.iter().map(|(name, state)| (name, state))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &NamespaceState<W>> {
        self.entries.iter().map(|(_, state)| state)
    }
}

impl<W> IntoIterator for NamespaceMap<W> {
    type Item = (Namespace, NamespaceState<W>);
    type IntoIter = std::vec::IntoIter<(Namespace, NamespaceState<W>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::proto::namespace_state::Resuming;

    fn state() -> NamespaceState {
        NamespaceState::Resuming(Resuming { data: None })
    }

    #[test]
    fn the_main_namespace_is_found_first_and_only_when_present() {
        let mut map = NamespaceMap::default();
        for name in ["/b", "/a"] {
            assert!(map.insert(Namespace::new(name).unwrap(), state()).is_none());
        }
        // Without `/`, its look goes on to the scan: no entry is taken for it.
        assert!(map.get("/").is_none());
        assert!(map.get_key_value("/a").is_some());
        map.insert(Namespace::main(), state());
        // `/` sorts first; every name is still found where it is.
        assert_eq!(map.get_key_value("/").unwrap().0.as_str(), "/");
        assert_eq!(map.get_key_value("/a").unwrap().0.as_str(), "/a");
        assert_eq!(map.get_key_value("/b").unwrap().0.as_str(), "/b");
        assert!(map.remove("/").is_some());
        assert!(map.get("/").is_none());
        assert_eq!(map.get_key_value("/a").unwrap().0.as_str(), "/a");
    }
}
