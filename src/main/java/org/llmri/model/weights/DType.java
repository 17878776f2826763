package org.llmri.model.weights;

import org.llmri.LlmriException;

/** The element types llmri reads from checkpoints; tensors keep their stored type and are upcast to f32 on use. */
public enum DType {
    F32(4, "float32"),
    F16(2, "float16"),
    BF16(2, "bfloat16");

    private final int bytes;
    private final String torchName;

    DType(int bytes, String torchName) {
        this.bytes = bytes;
        this.torchName = torchName;
    }

    public int bytes() {
        return bytes;
    }

    /** The name Hugging Face writes as {@code torch_dtype} in config.json. */
    public String torchName() {
        return torchName;
    }

    /** Parses a safetensors dtype string ("F32", "F16", "BF16"). */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            case null -> throw new LlmriException("missing dtype; llmri reads F32, F16 and BF16 tensors");
            default -> throw new LlmriException("dtype " + name + " is not supported; llmri reads F32, F16 and BF16 tensors");
        };
    }

    /** The safetensors spelling of this type. */
    public String safetensorsName() {
        return name();
    }

    /** Parses a user-facing name: f32/float32, f16/float16/half, bf16/bfloat16 (case-insensitive). */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "float" -> F32;
            case "f16", "float16", "half" -> F16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new LlmriException("dtype '" + name + "' is not one of f32, f16, bf16");
        };
    }

    /** Rounds a float to bfloat16 bits, to nearest even (as PyTorch does); NaN stays a quiet NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Widens bfloat16 bits to float exactly. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
