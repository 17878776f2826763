package org.llmri.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.model.weights.Sha256;
import org.llmri.model.bert.BertBatch;
import org.llmri.model.bert.BertConfig;
import org.llmri.model.bert.BertTap;
import org.llmri.model.bert.LoadedBert;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.tensor.Threads;

/**
 * What {@code model info} and {@code forward} do for BERT encoders ({@code model_type: bert}), kept
 * apart from the decoder paths until both run through one model contract.
 */
final class Encoders {
    private Encoders() {}

    static void info(PrintWriter out, Path dir, boolean checksum) {
        try (LoadedBert m = LoadedBert.open(dir, new Threads(1))) {
            BertConfig c = m.config();
            Path weights = LoadedBert.weightsFile(dir);
            out.printf("model       %s%n", dir);
            out.printf("family      BERT encoder (model_type bert, BertModel)%n");
            out.printf("shape       hidden %d, intermediate %d, %d layers, %d heads (head dim %d), vocab %d, %d positions, %d token types%n",
                    c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.headDim(), c.vocabSize(),
                    c.maxPositionEmbeddings(), c.typeVocabSize());
            out.printf("layout      post-LayerNorm (eps %s), %s, absolute positions%n", c.layerNormEps(), c.hiddenAct().hfName());
            out.printf("tokens      pad %d%n", c.padTokenId());
            out.printf("file        %s (%s)%n", dir.relativize(weights), ModelCommand.Info.humanBytes(size(weights)));
            long params = 0;
            for (var t : m.weights().named().values()) params += t.numel();
            out.printf("dtype       %s%n", m.weights().dtype());
            out.printf("parameters  %,d%n", params);
            List<BertTap> taps = m.model().taps();
            out.printf("taps        %d (%,d units per token)%n", taps.size(), taps.stream().mapToLong(BertTap::width).sum());
            if (checksum) out.printf("sha256      %s%n", Sha256.ofFile(weights));
        }
    }

    /** Hidden states as BertModel(output_hidden_states=True) returns them, with the input ids, to a safetensors file. */
    static void forward(PrintWriter out, Path dir, int[] ids, String text, Path file) {
        if (ids == null) {
            Path tok = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(tok)) throw new LlmriException(dir + ": no tokenizer.json (needed to encode --text)");
            try (TextTokenizer t = TextTokenizer.load(tok)) {
                ids = t.encodeWithSpecialTokens(text);
            }
            if (ids.length == 0) throw new LlmriException("--text: no tokens");
        }
        float[][] hidden;
        int width;
        try (LoadedBert m = LoadedBert.open(dir, Threads.fromEnvironment())) {
            hidden = m.model().hiddenStates(BertBatch.of(ids));
            width = m.config().hiddenSize();
        }
        write(file, ids, hidden, width);
        out.printf("wrote %s: input_ids and hidden.0..hidden.%d for %d tokens%n", file, hidden.length - 1, ids.length);
    }

    /** A safetensors file: input_ids (I64 [n]) and hidden.i (F32 [n, width]), names sorted as safetensors writes them. */
    static void write(Path file, int[] ids, float[][] hidden, int width) {
        int n = ids.length;
        java.util.TreeMap<String, Object> tensors = new java.util.TreeMap<>();
        tensors.put("input_ids", ids);
        for (int i = 0; i < hidden.length; i++) tensors.put("hidden." + i, hidden[i]);
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (var e : tensors.entrySet()) {
            boolean isIds = e.getValue() instanceof int[];
            long bytes = isIds ? 8L * n : 4L * n * width;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", isIds ? "I64" : "F32");
            if (isIds) t.putArray("shape").add(n);
            else t.putArray("shape").add(n).add(width);
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

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new LlmriException(f + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
