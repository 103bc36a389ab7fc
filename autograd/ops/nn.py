"""Neural-network primitives in Keras's layouts (owned by the nn-ops work; see DESIGN.md)."""
