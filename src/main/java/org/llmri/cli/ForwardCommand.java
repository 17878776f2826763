package org.llmri.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code llmri forward}: logits and hidden states for a token sequence, as Hugging Face returns them. */
@Command(name = "forward", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run one forward pass and write logits [T, vocab] and hidden.0 .. hidden.N [T, hidden] (float32) to a safetensors file, with Hugging Face output_hidden_states semantics. Encoders (BERT) write input_ids and hidden.0 .. hidden.N.")
public final class ForwardCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder or Hugging Face repo id[@revision].")
    String model;

    @Option(names = "--ids", split = ",", description = "Token ids, comma-separated (e.g. 2,17,99).")
    List<String> ids;

    @Option(names = "--text", description = "Text to tokenize instead of --ids (encoders: with [CLS]/[SEP] as the tokenizer's post-processor adds them).")
    String text;

    @Option(names = "--out", required = true, description = "Output .safetensors file.")
    Path out;

    @Override
    public Integer call() {
        if ((ids == null) == (text == null)) throw new LlmriException("give either --ids or --text");
        java.nio.file.Path dir = Models.resolve(model).dir();
        if (org.llmri.model.bert.LoadedBert.isBert(dir)) {
            Encoders.forward(spec.commandLine().getOut(), dir, ids == null ? null : parseIds(), text, out);
            return 0;
        }
        int[] tokens;
        if (ids != null) {
            tokens = parseIds();
        } else {
            try (var tokenizer = Models.tokenizer(dir)) {
                tokens = tokenizer.encode(text);
            }
            if (tokens.length == 0) throw new LlmriException("--text: no tokens");
        }
        try (LoadedModel m = LoadedModel.open(dir)) {
            Map<String, float[]> states = HiddenStates.run(m.model(), tokens);
            List<Tensor> tensors = new ArrayList<>();
            for (var e : states.entrySet()) {
                int width = e.getValue().length / tokens.length;
                tensors.add(Tensor.ofFloats(e.getKey(), new long[] {tokens.length, width}, e.getValue()));
            }
            Safetensors.write(out, tensors);
            spec.commandLine().getOut().printf("wrote %s: logits and hidden.0..hidden.%d for %d tokens%n",
                    out, m.model().numLayers(), tokens.length);
        }
        return 0;
    }

    private int[] parseIds() {
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            try {
                tokens[i] = Integer.parseInt(ids.get(i).strip());
            } catch (NumberFormatException e) {
                throw new LlmriException("--ids: '" + ids.get(i) + "' is not a token id");
            }
        }
        return tokens;
    }
}
