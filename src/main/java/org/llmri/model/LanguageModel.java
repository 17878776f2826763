package org.llmri.model;

import java.util.ArrayList;
import java.util.List;
import org.llmri.tensor.Threads;

/**
 * A model loaded for running, whatever its architecture: what the generator, the reader, the recorder
 * and the scanner need to know about it. One implementation per architecture package
 * ({@code model.opt}, ...), made by its {@link Architecture}.
 */
public interface LanguageModel extends AutoCloseable {
    /** The Hugging Face class it follows, as the dataset records it (e.g. {@code OPTForCausalLM}). */
    String architecture();

    /** Every tap, in the order the forward pass produces them. */
    List<Tap> taps();

    /**
     * The tap kinds in the order of the NIfTI layout's y axis (units.tsv's {@code y}). By default the
     * kinds in order of first appearance in {@link #taps()}.
     */
    default List<String> kindOrder() {
        List<String> kinds = new ArrayList<>();
        for (Tap t : taps()) if (!kinds.contains(t.kind())) kinds.add(t.kind());
        return List.copyOf(kinds);
    }

    /**
     * Other names accepted for taps when selecting them (alias to tap name), e.g. TransformerLens's
     * {@code blocks.3.hook_resid_post}. None by default.
     */
    default java.util.Map<String, String> tapAliases() {
        return java.util.Map.of();
    }

    /**
     * The stored parameters that compute ({@link Wire.Role#WRITES}) or read ({@link Wire.Role#READS}) this tap's
     * units: what {@code llmri network export} masks. Empty where a model does not declare them.
     */
    default List<Wire> wiring(Tap tap) {
        return List.of();
    }

    /** Its sizes, as its config gives them. */
    ModelShape shape();

    default int hiddenSize() {
        return shape().hiddenSize();
    }

    default int vocabSize() {
        return shape().vocabSize();
    }

    default int numLayers() {
        return shape().numLayers();
    }

    /** Positions a sequence may use: [0, maxPositions). */
    default int maxPositions() {
        return shape().maxPositions();
    }

    /** Whether it predicts next tokens (a decoder). Encoders can only be read. */
    default boolean canGenerate() {
        return shape().canGenerate();
    }

    /** The end-of-sequence token id, or -1 when it has none. */
    default int eosTokenId() {
        return shape().eosTokenId();
    }

    /** The compute threads its kernels run on. */
    Threads threads();

    /** A KV cache for this many sequences at once. */
    KvCache newCache(int slots);

    /** What one forward pass returns for its output rows: logits (null when it has no LM head) and the last hidden state. */
    record Output(float[] logits, float[] finalHidden, int vocab, int width) {}

    /**
     * Runs the model over a step's rows, writing their keys and values into the cache, calling the hook
     * (which may be null) at every tap, and returns what the step's output rows produce. Without
     * {@code logits} the LM head is skipped (reading mode records taps, not predictions) and
     * {@link Output#logits()} is null.
     */
    Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits);

    /** {@link #forward(Step, KvCache, ForwardHook, boolean)} with logits. */
    default Output forward(Step step, KvCache cache, ForwardHook hook) {
        return forward(step, cache, hook, true);
    }

    @Override
    void close();
}
