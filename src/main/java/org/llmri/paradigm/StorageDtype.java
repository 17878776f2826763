package org.llmri.paradigm;

/**
 * How the scanner stores activations on disk: f32, f16 (half the size), or none (no activations: the run's
 * fused statistics, always written, are then the scan's output).
 */
public enum StorageDtype {
    F32("f32"),
    F16("f16"),
    NONE("none");

    private final String label;

    StorageDtype(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Whether activations are written at all. */
    public boolean stores() {
        return this != NONE;
    }

    /** Bytes per stored value (0 for none). */
    public int bytes() {
        return switch (this) {
            case F32 -> 4;
            case F16 -> 2;
            case NONE -> 0;
        };
    }

    public static StorageDtype parse(String label) {
        for (StorageDtype d : values()) {
            if (d.label.equals(label)) return d;
        }
        return null;
    }
}
