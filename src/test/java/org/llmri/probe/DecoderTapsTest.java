package org.llmri.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.LlmriException;
import org.llmri.model.DecoderFixtures;
import org.llmri.model.LanguageModel;
import org.llmri.model.LoadedModel;
import org.llmri.model.Step;
import org.llmri.model.Tap;

/** Taps of the GPT-2, NeoX and Llama runtimes: names, widths, presets, TransformerLens aliases, interventions. */
class DecoderTapsTest {
    /** The module paths TAPS.md lists for layer 1 of each family's tiny fixture, with their widths. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "gpt2-tiny-f32 | h.1.ln_1:64 h.1.attn.c_attn:192 h.1.attn.c_proj:64 h.1.ln_2:64 h.1.mlp.c_fc:256 h.1.mlp.act:256 h.1.mlp.c_proj:64 h.1:64 wte:64 wpe:64 drop:64 ln_f:64",
        "neox-tiny-f32 | layers.1.input_layernorm:64 layers.1.attention.query_key_value:192 layers.1.attention.dense:64 layers.1.post_attention_layernorm:64 layers.1.mlp.dense_h_to_4h:256 layers.1.mlp.act:256 layers.1.mlp.dense_4h_to_h:64 layers.1:64 embed_in:64 final_layer_norm:64",
        "llama-tiny-f32 | layers.1.input_layernorm:64 layers.1.self_attn.q_proj:64 layers.1.self_attn.k_proj:32 layers.1.self_attn.v_proj:32 layers.1.self_attn.o_proj:64 layers.1.post_attention_layernorm:64 layers.1.mlp.gate_proj:176 layers.1.mlp.act_fn:176 layers.1.mlp.up_proj:176 layers.1.mlp.down_proj:64 layers.1:64 embed_tokens:64 norm:64"})
    void tapsAreNamedByTheHuggingFaceModulePathsWithTheirWidths(String fixture, String expected) {
        try (LoadedModel m = LoadedModel.open(DecoderFixtures.dir(fixture))) {
            for (String pair : expected.trim().split(" ")) {
                String name = pair.substring(0, pair.indexOf(':'));
                int width = Integer.parseInt(pair.substring(pair.indexOf(':') + 1));
                Tap t = TapSet.select(m.model(), name).taps().getFirst();
                assertThat(t.name()).isEqualTo(name);
                assertThat(t.width()).as(name).isEqualTo(width);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"gpt2-tiny-f32", "neox-tiny-f32", "llama-tiny-f32"})
    void presetsSplitEveryTapIntoResidualAttentionAndMlp(String fixture) {
        try (LoadedModel m = LoadedModel.open(DecoderFixtures.dir(fixture))) {
            LanguageModel model = m.model();
            Set<Tap> seen = new HashSet<>();
            for (String preset : List.of("residual", "attention", "mlp")) {
                List<Tap> taps = TapSet.select(model, preset).taps();
                assertThat(taps).as(preset).isNotEmpty();
                for (Tap t : taps) assertThat(seen.add(t)).as(t.name() + " in two presets").isTrue();
            }
            assertThat(seen).containsExactlyInAnyOrderElementsOf(TapSet.select(model, "all").taps());
            // the residual preset holds the embeddings, every layer's output and the final norm
            assertThat(TapSet.select(model, "residual").taps().stream().filter(t -> t.kind().equals("residual")))
                    .hasSize(model.numLayers());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "gpt2-tiny-f32, drop, h.1, h.2.attn.context, h.0.attn.c_proj, h.1.mlp.c_fc, h.1.mlp.act, h.2.mlp.c_proj, ln_f",
        "neox-tiny-f32, embed_in, layers.1, layers.2.attention.context, layers.0.attention.dense, layers.1.mlp.dense_h_to_4h, layers.1.mlp.act, layers.2.mlp.dense_4h_to_h, final_layer_norm",
        "llama-tiny-f32, embed_tokens, layers.1, layers.2.self_attn.context, layers.0.self_attn.o_proj, layers.1.mlp.gate_proj, layers.1.mlp.act_fn, layers.2.mlp.down_proj, norm"})
    void transformerLensNamesSelectTheSameTaps(String fixture, String residPre0, String residPost1, String z2, String attnOut0,
                                               String mlpPre1, String mlpPost1, String mlpOut2, String lnFinal) {
        try (LoadedModel m = LoadedModel.open(DecoderFixtures.dir(fixture))) {
            LanguageModel model = m.model();
            Map<String, String> want = Map.of("blocks.0.hook_resid_pre", residPre0, "blocks.1.hook_resid_post", residPost1,
                    "blocks.2.hook_resid_pre", residPost1, "blocks.2.attn.hook_z", z2, "blocks.0.hook_attn_out", attnOut0,
                    "blocks.1.mlp.hook_pre", mlpPre1, "blocks.1.mlp.hook_post", mlpPost1, "blocks.2.hook_mlp_out", mlpOut2,
                    "ln_final.hook_normalized", lnFinal);
            for (var e : want.entrySet()) {
                assertThat(TapSet.select(model, e.getKey()).taps()).extracting(Tap::name).as(e.getKey()).containsExactly(e.getValue());
            }
            // globs match aliases too: every layer's output once, in forward order
            List<String> posts = new ArrayList<>();
            for (Tap t : TapSet.select(model, "blocks.*.hook_resid_post").taps()) posts.add(t.name());
            assertThat(posts).hasSize(model.numLayers()).doesNotHaveDuplicates();
            assertThatThrownBy(() -> TapSet.select(model, "blocks.9.hook_resid_post")).isInstanceOf(LlmriException.class);
        }
    }

    /** Zeroing a tap changes what flows downstream: the hook's values are the tensor the forward pass goes on with. */
    @ParameterizedTest
    @CsvSource({"gpt2-tiny-f32, h.1.mlp.act", "neox-tiny-f32, layers.1.attention.query_key_value", "llama-tiny-f32, layers.1.self_attn.k_proj"})
    void interventionsFlowOn(String fixture, String tapName) {
        try (LoadedModel m = LoadedModel.open(DecoderFixtures.dir(fixture))) {
            LanguageModel model = m.model();
            Tap tap = TapSet.select(model, tapName).taps().getFirst();
            int[] ids = DecoderFixtures.IDS;
            float[] plain = logits(model, ids, null);
            float[] zeroed = logits(model, ids, new Interventions().add(tap, null, new Intervention.Zero()));
            assertThat(zeroed).isNotEqualTo(plain);
            float[] again = logits(model, ids, null);
            assertThat(again).isEqualTo(plain);
        }
    }

    private static float[] logits(LanguageModel model, int[] ids, org.llmri.model.ForwardHook hook) {
        int n = ids.length;
        int[] slots = new int[n], positions = new int[n], rows = {n - 1}, seq = {0}, idx = {0};
        for (int i = 0; i < n; i++) positions[i] = i;
        return model.forward(new Step(slots, ids.clone(), positions, rows, seq, idx), model.newCache(1), hook).logits();
    }
}
