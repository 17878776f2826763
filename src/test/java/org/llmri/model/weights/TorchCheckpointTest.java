package org.llmri.model.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.model.TestFiles;

/**
 * PyTorch zip checkpoints: real torch.save files (made once with PyTorch 1.13, see resources/torch) load;
 * hostile or broken ones are refused with one line naming the file. The hostile pickles here are written
 * byte by byte and are only ever parsed, never run.
 */
@Timeout(30)
class TorchCheckpointTest {
    @TempDir Path dir;

    private static SortedMap<String, Tensor> load(Path p, Arena arena) {
        return TorchCheckpoint.map(p, arena);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refusal(Path p) {
        return assertThatThrownBy(() -> {
            try (Arena arena = Arena.ofConfined()) {
                load(p, arena);
            }
        }).isInstanceOf(LlmriException.class).hasMessageStartingWith(p.toString()).hasMessageNotContaining("\n");
    }

    /** A stored-entry zip laid out like torch.save's. */
    private Path zip(String name, Map<String, byte[]> entries, boolean deflatePickle) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream os = Files.newOutputStream(p); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (deflatePickle && e.getKey().endsWith("data.pkl")) {
                    ze.setMethod(ZipEntry.DEFLATED);
                } else {
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return p;
    }

    private Path checkpointWithPickle(byte[] pickle) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", pickle);
        m.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return zip("pytorch_model.bin", m, false);
    }

    /** Concatenates pickle pieces: strings as Latin-1 bytes, integers as single bytes, byte arrays as is. */
    private static byte[] pickle(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            switch (p) {
                case String s -> out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
                case Integer i -> out.write(i);
                case byte[] b -> out.writeBytes(b);
                default -> throw new IllegalArgumentException(p.toString());
            }
        }
        return out.toByteArray();
    }

    private static byte[] binunicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(5 + b.length).order(ByteOrder.LITTLE_ENDIAN).put((byte) 'X').putInt(b.length).put(b).array();
    }

    // ---- real torch.save files ----

    @Test
    void sharedStorageViewsReadTheirOwnSlices() {
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = load(TestFiles.resource("torch/shared_storage.bin"), arena);
            assertThat(t.get("model.decoder.whole").toFloatArray()).containsExactly(-1, -0.5f, 0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f);
            assertThat(t.get("model.decoder.row1").toFloatArray()).containsExactly(1, 1.5f, 2, 2.5f);
            assertThat(t.get("model.decoder.tail").shape()).containsExactly(2, 4);
            assertThat(t.get("model.decoder.tail").toFloatArray()).containsExactly(1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f);
            assertThat(t.get("model.decoder.scalarish").toFloatArray()).containsExactly(4.5f);
        }
    }

    @Test
    void zip64ArchivesAreRead() {
        // torch.save's shared_storage.bin repacked with Info-ZIP's "zip -0 -fz" (ZIP64 end records and extra fields)
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = load(TestFiles.resource("torch/zip64.bin"), arena);
            assertThat(t.get("model.decoder.tail").toFloatArray()).containsExactly(1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f);
            assertThat(t).hasSize(4);
        }
    }

    @Test
    void halfAndBfloat16StoragesKeepTheirType() {
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = load(TestFiles.resource("torch/half_bf16.bin"), arena);
            assertThat(t.get("h").dtype()).isEqualTo(DType.F16);
            assertThat(t.get("h").toFloatArray()).containsExactly(1f, -2.5f, 65504f, 0x1p-24f);
            assertThat(t.get("b").dtype()).isEqualTo(DType.BF16);
            float[] b = t.get("b").toFloatArray();
            assertThat(b[0]).isEqualTo(1f);
            assertThat(Float.floatToRawIntBits(b[1])).isEqualTo(0x80000000);
            assertThat(Float.floatToRawIntBits(b[2])).isEqualTo(0x7f620000); // torch's bfloat16(3e38)
        }
    }

    @Test
    void nonContiguousTensorIsRefused() {
        Path p = TestFiles.resource("torch/transposed.bin");
        refusal(p).hasMessageContaining("tensor 'w'").hasMessageContaining("not contiguous");
    }

    @Test
    void integerStorageIsRefusedByName() {
        refusal(TestFiles.resource("torch/int64.bin")).hasMessageContaining("refused pickle global 'torch LongStorage'");
    }

    @Test
    void legacyFormatIsNamed() {
        refusal(TestFiles.resource("torch/legacy.bin")).hasMessageContaining("legacy (pre-1.6) torch.save format");
    }

    // ---- hostile pickles ----

    @Test
    void osSystemIsRefused() throws IOException {
        Path p = checkpointWithPickle(pickle(0x80, 2, "cos\nsystem\n", binunicode("touch /tmp/llmri-pwned"), 0x85, "R."));
        refusal(p).hasMessageContaining("refused pickle global 'os system'");
        assertThat(Path.of("/tmp/llmri-pwned")).doesNotExist();
    }

    @Test
    void builtinsEvalIsRefused() throws IOException {
        Path p = checkpointWithPickle(pickle(0x80, 2, "}", binunicode("k"), "cbuiltins\neval\n",
                binunicode("__import__('os').system('touch /tmp/llmri-pwned')"), 0x85, "Rs."));
        refusal(p).hasMessageContaining("refused pickle global 'builtins eval'");
    }

    @Test
    void otherSpellingsOfCodeExecutionAreRefused() throws IOException {
        refusal(checkpointWithPickle(pickle(0x80, 2, "cposix\nsystem\n", binunicode("id"), 0x85, "R.")))
                .hasMessageContaining("refused pickle global 'posix system'");
        refusal(checkpointWithPickle(pickle(0x80, 2, "c__builtin__\neval\n", binunicode("1"), 0x85, "R.")))
                .hasMessageContaining("refused pickle global '__builtin__ eval'");
        // protocol 4 STACK_GLOBAL takes its names from the stack
        refusal(checkpointWithPickle(pickle(0x80, 4, 0x8c, 2, "os", 0x8c, 6, "system", 0x93, binunicode("id"), 0x85, "R.")))
                .hasMessageContaining("refused pickle global 'os system'");
        refusal(checkpointWithPickle(pickle(0x80, 2, "ctorch\nload\n", ")R.")))
                .hasMessageContaining("refused pickle global 'torch load'");
    }

    @Test
    void unknownOpcodeIsRefused() throws IOException {
        // INST (protocol 0) can instantiate arbitrary classes; torch.save never writes it
        refusal(checkpointWithPickle(pickle(0x80, 2, "(ios\nsystem\n."))).hasMessageContaining("unsupported pickle opcode 0x69");
    }

    @Test
    void truncatedPickle() throws IOException {
        refusal(checkpointWithPickle(pickle(0x80, 2, "}("))).hasMessageContaining("without a STOP");
    }

    @Test
    void hugeStringLengthDoesNotAllocate() throws IOException {
        refusal(checkpointWithPickle(pickle(0x80, 2, "X", 0xff, 0xff, 0xff, 0x7f, "abc"))).hasMessageContaining("runs past the end");
    }

    @Test
    void objectBombIsStopped() throws IOException {
        byte[] bomb = new byte[6_000_003];
        Arrays.fill(bomb, (byte) ']');
        bomb[0] = (byte) 0x80;
        bomb[1] = 2;
        bomb[bomb.length - 1] = '.';
        refusal(checkpointWithPickle(bomb)).hasMessageContaining("more than 2000000 objects");
    }

    @Test
    void memoBombIsStopped() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(3 + 5 * 1_100_000 + 1).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x80).put((byte) 2).put((byte) 'N');
        for (int i = 0; i < 1_100_000; i++) b.put((byte) 'r').putInt(i);
        b.put((byte) '.');
        refusal(checkpointWithPickle(b.array())).hasMessageContaining("memo grows past");
    }

    @Test
    void selfReferencingContainerAsKeyIsRefused() throws IOException {
        // d = {}; l = []; l.append(l); d[l] = 1  -- hashing l would recurse forever
        refusal(checkpointWithPickle(pickle(0x80, 2, "}]q", 0, "h", 0, "aK", 1, "s."))).hasMessageContaining("dict key of type list");
    }

    @Test
    void rootMustBeAStateDictOfTensors() throws IOException {
        refusal(checkpointWithPickle(pickle(0x80, 2, "K", 1, "."))).hasMessageContaining("holds a int, not a state dict");
        refusal(checkpointWithPickle(pickle(0x80, 2, "}", binunicode("a"), "K", 1, "s.")))
                .hasMessageContaining("entry 'a' is a int, not a tensor");
    }

    // ---- broken archives ----

    private Path copyOfFixtureBin() throws IOException {
        Path p = dir.resolve("pytorch_model.bin");
        Files.copy(TestFiles.fixture("opt-tiny-f16-bin").resolve("pytorch_model.bin"), p);
        return p;
    }

    @Test
    void truncatedZip() throws IOException {
        Path p = copyOfFixtureBin();
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length / 2));
        refusal(p).hasMessageContaining("broken zip archive").hasMessageContaining("truncated");
    }

    @Test
    void zipCutJustBeforeItsEnd() throws IOException {
        Path p = copyOfFixtureBin();
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 30));
        refusal(p).hasMessageContaining("broken zip archive");
    }

    @Test
    void centralDirectoryOffsetOutsideTheFile() throws IOException {
        Path p = copyOfFixtureBin();
        byte[] all = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int end = all.length - 22;
        assertThat(b.getInt(end)).isEqualTo(0x06054b50);
        b.putInt(end + 16, all.length + 1000);
        Files.write(p, all);
        refusal(p).hasMessageContaining("central directory lies outside the file");
    }

    @Test
    void entryOffsetOutsideTheFile() throws IOException {
        Path p = copyOfFixtureBin();
        byte[] all = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int cd = b.getInt(all.length - 22 + 16);
        b.putInt(cd + 42, all.length + 5);
        Files.write(p, all);
        refusal(p).hasMessageContaining("points outside the file");
    }

    @Test
    void notAZipAtAll() throws IOException {
        Path p = dir.resolve("pytorch_model.bin");
        Files.writeString(p, "this is not a checkpoint, just some text that is long enough to look at");
        refusal(p).hasMessageContaining("no end-of-central-directory record");
    }

    @Test
    void compressedEntryIsRefused() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", pickle(0x80, 2, "}."));
        Path p = zip("compressed.bin", m, true);
        refusal(p).hasMessageContaining("entry 'archive/data.pkl' is compressed");
    }

    @Test
    void bigEndianCheckpointIsRefused() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", pickle(0x80, 2, "}."));
        m.put("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        refusal(zip("big.bin", m, false)).hasMessageContaining("byteorder is 'big'");
    }

    @Test
    void missingStorageEntry() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", TorchCheckpointWriter.pickle(java.util.List.of(
                TensorSpec.of(Tensor.ofFloats("w", new long[] {2}, new float[] {1, 2})))));
        refusal(zip("nostorage.bin", m, false)).hasMessageContaining("tensor 'w'").hasMessageContaining("storage '0' is missing");
    }

    @Test
    void emptyStateDictLoadsAsNothing() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(load(checkpointWithPickle(pickle(0x80, 2, "}.")), arena)).isEmpty();
            // torch.save(OrderedDict()) with _metadata state, as state_dict() pickles it
            byte[] od = pickle(0x80, 2, "ccollections\nOrderedDict\nq", 0, ")Rq", 1, "}", binunicode("_metadata"),
                    "h", 0, ")R", binunicode(""), "}", binunicode("version"), "K", 1, "sssb.");
            assertThat(load(checkpointWithPickle(od), arena)).isEmpty();
        }
    }
}
