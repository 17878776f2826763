package org.llmri.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.model.LoadedModel;
import org.llmri.model.run.HiddenStates;
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
        Path dir = Models.resolve(model).dir();
        try (LoadedModel m = LoadedModel.open(dir)) {
            // an encoder reads text with the special tokens its post-processor adds ([CLS] ... [SEP]);
            // a decoder as generation feeds it (as is, no BOS)
            boolean encoder = !m.model().canGenerate();
            int[] tokens;
            if (ids != null) {
                tokens = parseIds();
            } else {
                try (var tokenizer = Models.tokenizer(dir)) {
                    tokens = encoder ? tokenizer.encodeMarked(text, true).ids() : tokenizer.encode(text);
                }
                if (tokens.length == 0) throw new LlmriException("--text: no tokens");
            }
            Map<String, float[]> states = HiddenStates.run(m.model(), tokens);
            states.values().removeIf(java.util.Objects::isNull); // an encoder has no logits
            write(out, encoder ? tokens : null, states, tokens.length);
            spec.commandLine().getOut().printf("wrote %s: %s and hidden.0..hidden.%d for %d tokens%n",
                    out, encoder ? "input_ids" : "logits", m.model().numLayers(), tokens.length);
        }
        return 0;
    }

    /**
     * A safetensors file of float32 [n, width] tensors, plus {@code input_ids} (int64 [n]) when given, as
     * an encoder's outputs are read beside their ids; names sorted as safetensors writes them.
     */
    static void write(Path file, int[] ids, Map<String, float[]> floats, int n) {
        java.util.TreeMap<String, Object> tensors = new java.util.TreeMap<>(floats);
        if (ids != null) tensors.put("input_ids", ids);
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            long bytes;
            if (e.getValue() instanceof int[]) {
                bytes = 8L * n;
                t.put("dtype", "I64");
                t.putArray("shape").add(n);
            } else {
                int length = ((float[]) e.getValue()).length;
                bytes = 4L * length;
                t.put("dtype", "F32");
                t.putArray("shape").add(n).add(length / n);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] head;
        try {
            head = json.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (head.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(head);
        while (buf.position() < 8 + padded) buf.put((byte) ' ');
        for (Object v : tensors.values()) {
            if (v instanceof int[] a) for (int x : a) buf.putLong(x);
            else for (float x : (float[]) v) buf.putFloat(x);
        }
        buf.flip();
        AtomicFile.writeWith(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (buf.hasRemaining()) ch.write(buf);
            }
        });
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
