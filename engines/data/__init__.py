"""Training and evaluation data: image folders, hole masks, edges. Held as uint8 tensors (on the GPU when
they fit) so batches are gathered without a loader process."""
