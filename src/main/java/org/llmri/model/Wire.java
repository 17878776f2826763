package org.llmri.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * How a tap's units are wired to one stored parameter: unit u is index {@code index(u)} along dimension
 * {@code dim} of the tensor as the checkpoint stores it (a row of a Linear's [out, in] weight is dim 0, a column
 * dim 1; GPT-2's Conv1D stores [in, out], so its outputs are dim 1). {@code param} is the Hugging Face name in
 * the *ForCausalLM / BertModel {@code named_parameters()}. A parameter the checkpoint lacks (a bias the config
 * turns off) is skipped by whoever applies the wire.
 */
public record Wire(String param, Role role, int dim, IntUnaryOperator index) {
    /** Whether the parameter computes the unit (its output) or consumes it (its input). */
    public enum Role {
        WRITES, READS
    }

    /** A Linear's weight row (or a bias, norm or any 1-D entry) that computes the unit. */
    public static Wire writes(String param) {
        return new Wire(param, Role.WRITES, 0, u -> u);
    }

    /** A Linear's weight column that reads the unit. */
    public static Wire reads(String param) {
        return new Wire(param, Role.READS, 1, u -> u);
    }

    /** A Linear {@code module}'s weight row and bias entry that compute the unit. */
    public static List<Wire> linearOut(String module) {
        return List.of(writes(module + ".weight"), writes(module + ".bias"));
    }

    /** A norm's weight and bias entries (the unit's scale and shift). */
    public static List<Wire> norm(String module) {
        return List.of(writes(module + ".weight"), writes(module + ".bias"));
    }

    /** Concatenates wire lists. */
    @SafeVarargs
    public static List<Wire> all(List<Wire>... parts) {
        List<Wire> out = new ArrayList<>();
        for (List<Wire> p : parts) out.addAll(p);
        return List.copyOf(out);
    }
}
