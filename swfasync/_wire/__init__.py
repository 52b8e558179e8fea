"""msgspec Structs for every SWF shape (generated), plus the fast history codec."""
