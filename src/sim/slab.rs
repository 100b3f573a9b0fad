//! Batches held by slot, for stations where every batch is in flight on its
//! own (delays, request latencies): O(1) insert and remove, slots reused, the
//! slot number is what a stage emits and the engine releases.

use super::batch::Batch;

/// In-flight batches by slot.
#[derive(Clone, Debug, Default)]
pub struct BatchSlab {
    slots: Vec<Option<Batch>>,
    free: Vec<u32>,
    occupied: u64,
}

impl BatchSlab {
    /// Stores `b` and returns its slot.
    #[inline]
    pub fn insert(&mut self, b: Batch) -> u32 {
        self.occupied += 1;
        match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(b);
                s
            }
            None => {
                self.slots.push(Some(b));
                self.slots.len() as u32 - 1
            }
        }
    }

    /// The batch in `slot` (which must be in use).
    #[inline]
    pub fn get(&self, slot: u32) -> Batch {
        self.slots[slot as usize].expect("slab slot holds a batch")
    }

    /// Frees `slot` for reuse.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        debug_assert!(self.slots[slot as usize].is_some());
        self.slots[slot as usize] = None;
        self.occupied -= 1;
        self.free.push(slot);
    }

    /// Slots in use.
    pub fn occupied(&self) -> u64 {
        self.occupied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_counted() {
        let mut s = BatchSlab::default();
        let a = s.insert(Batch::new(1, 1, 0));
        let b = s.insert(Batch::new(2, 2, 0));
        assert_eq!((a, b, s.occupied()), (0, 1, 2));
        s.remove(a);
        assert_eq!(s.insert(Batch::new(3, 3, 0)), 0);
        assert_eq!(s.get(0).count, 3);
        assert_eq!(s.occupied(), 2);
    }
}
