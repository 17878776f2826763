package org.llmri.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.llmri.model.LoadedModel;
import org.llmri.model.hub.ResolvedModel;
import org.llmri.model.run.Generator;
import org.llmri.model.run.Sampling;
import org.llmri.model.tokenizer.TextTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code llmri generate}: continue one or more prompts, greedy or seeded sampling. */
@Command(name = "generate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Generate continuations of prompts (Galactica's conventions: no BOS added, special tokens skipped in output). Several --prompt options are generated as one batch; each prompt's result does not depend on the batch.")
public final class GenerateCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "facebook/galactica-125m", description = "Model folder or Hugging Face repo id[@revision].")
    String model;

    @Option(names = "--prompt", required = true, description = "Prompt text (repeat for a batch).")
    List<String> prompts;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "New tokens per prompt.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy; > 0 samples with this temperature.")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample only from the k most likely tokens (0 = all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (1 = all).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed; the same seed repeats exactly.")
    long seed;

    @Option(names = "--stop-at-eos", defaultValue = "false", description = "Stop a prompt at </s> (otherwise EOS is suppressed).")
    boolean stopAtEos;

    @Option(names = "--ids", defaultValue = "false", description = "Also print the generated token ids.")
    boolean printIds;

    @Override
    public Integer call() {
        ResolvedModel resolved = Models.resolve(model);
        try (LoadedModel m = LoadedModel.open(resolved.dir()); TextTokenizer tok = Models.tokenizer(resolved.dir())) {
            Sampling sampling = temperature == 0f ? Sampling.GREEDY : new Sampling(false, temperature, topK, topP);
            List<Generator.Prompt> batch = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) batch.add(new Generator.Prompt(tok.encode(prompts.get(i)), seed + i));
            var settings = new Generator.Settings(maxNewTokens, sampling, !stopAtEos, stopAtEos, 0);
            List<int[]> out = new Generator(m.model()).generate(batch, settings, null, null);
            var w = spec.commandLine().getOut();
            for (int i = 0; i < out.size(); i++) {
                w.println(prompts.get(i) + tok.decode(out.get(i)));
                if (printIds) w.println("ids: " + java.util.Arrays.toString(out.get(i)));
            }
        }
        return 0;
    }
}
