package org.llmri.model.bert;

import java.util.Arrays;
import org.llmri.LlmriException;

/**
 * A ragged batch of sequences laid end to end: row r is one token; sequence s holds rows
 * [starts[s], starts[s+1]), its positions counting from 0. No padding is stored: what a padded batch's
 * attention mask hides is simply not there, so each sequence's rows equal those of a padded batch's
 * real tokens. Token types are 0 unless given.
 */
public record BertBatch(int[] tokens, int[] tokenTypes, int[] starts) {
    public BertBatch {
        if (starts.length < 2 || starts[0] != 0 || starts[starts.length - 1] != tokens.length) {
            throw new IllegalArgumentException("starts must run from 0 to the number of rows");
        }
        for (int s = 0; s + 1 < starts.length; s++) {
            if (starts[s + 1] <= starts[s]) throw new LlmriException("sequence " + s + " of the batch is empty");
        }
        if (tokenTypes.length != tokens.length) throw new IllegalArgumentException("one token type per token");
    }

    /** Sequences (each at least one token) as one batch, token types 0. */
    public static BertBatch of(int[]... sequences) {
        int[] starts = new int[sequences.length + 1];
        for (int s = 0; s < sequences.length; s++) starts[s + 1] = starts[s] + sequences[s].length;
        int[] tokens = new int[starts[sequences.length]];
        for (int s = 0; s < sequences.length; s++) System.arraycopy(sequences[s], 0, tokens, starts[s], sequences[s].length);
        return new BertBatch(tokens, new int[tokens.length], starts);
    }

    public int rows() {
        return tokens.length;
    }

    public int sequences() {
        return starts.length - 1;
    }

    public int start(int sequence) {
        return starts[sequence];
    }

    public int length(int sequence) {
        return starts[sequence + 1] - starts[sequence];
    }

    /** The ids of one sequence. */
    public int[] sequence(int s) {
        return Arrays.copyOfRange(tokens, starts[s], starts[s + 1]);
    }
}
