package org.llmri.model;

/**
 * One forward pass over a ragged batch of rows: row i feeds {@code tokens[i]} at {@code positions[i]}
 * of the sequence in KV-cache slot {@code slots[i]}. Rows of one sequence are consecutive and in
 * position order. {@code outputRows} are the rows whose logits are wanted (the positions that produce
 * the next token); {@code outputSequence}/{@code outputTokenIndex} say, for each of them, which
 * sequence (the caller's numbering) and which new token (0 = first) it produces.
 */
public record Step(int[] slots, int[] tokens, int[] positions, int[] outputRows, int[] outputSequence, int[] outputTokenIndex) {
    public int rows() {
        return tokens.length;
    }

    public int outputs() {
        return outputRows.length;
    }
}
