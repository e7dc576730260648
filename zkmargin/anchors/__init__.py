"""What anchors a proof to the world: signing keys, signed params epochs, custodian
attestations, and the verifier's policy. See docs/trust-model.md.

Signatures are Ed25519 from `cryptography` (never written here); every signed message
starts with its own domain-separation tag, so a signature over one kind of object can
never be replayed as a signature over another.
"""
