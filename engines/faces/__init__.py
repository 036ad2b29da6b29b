"""Face tools (no Qt): dlib landmarks, face regions for automatic masks, alignment, synthetic masked faces."""
