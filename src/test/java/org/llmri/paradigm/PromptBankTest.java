package org.llmri.paradigm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class PromptBankTest {
    static final List<String> TASK_BANKS = List.of("politicalscience", "medicalimaging", "paleontology", "archeology", "pathology");

    /**
     * Obvious words of each task's domain. An entry ending in {@code *} matches any word it starts; other entries
     * match the whole word or its plural; both ignore case. Entries in capitals are acronyms and match exactly (so
     * "PET" the scan is caught but "pet" the animal is not).
     */
    static final Map<String, List<String>> DOMAIN_WORDS = Map.of(
            "politicalscience", List.of("politic*", "election*", "elector*", "vote", "voting", "voter", "parliament*",
                    "congress*", "senat*", "government*", "democra*", "party", "parties", "policy", "policies", "legislat*",
                    "president*", "minister*", "campaign", "constitution*", "sovereign*", "diplomat*", "ballot", "coalition",
                    "ideolog*", "referend*", "governance", "law", "court", "citizen*", "nation", "state", "war",
                    "military", "sanction", "regime", "tax", "taxes", "authoritarian*", "populis*", "federal*"),
            "medicalimaging", List.of("MRI", "CT", "PET", "SPECT", "fMRI", "BOLD", "x-ray", "xray", "radiolog*",
                    "radiograph*", "ultrasound", "sonograph*", "tomograph*", "imaging", "scan", "scanner", "mammogra*",
                    "magnetic resonance", "doppler", "dicom", "gadolinium", "contrast agent", "echo time"),
            "paleontology", List.of("fossil*", "dinosaur*", "paleo*", "palaeo*", "jurassic", "cretaceous", "triassic",
                    "cambrian", "permian", "extinct*", "trilobite", "mammoth", "ammonite", "prehistoric", "evolution*",
                    "evolve*", "sediment*", "stratigraph*", "skeleton", "bone", "species", "geolog*"),
            "archeology", List.of("archaeolog*", "archeolog*", "excavat*", "artifact", "artefact", "ancient", "antiquit*",
                    "ruin", "tomb", "pharaoh", "pyramid", "roman", "medieval", "neolithic", "bronze age", "radiocarbon",
                    "relic", "civilization", "civilisation", "history", "historic*", "century", "centuries", "empire",
                    "dynast*", "pottery", "burial", "DNA"),
            "pathology", List.of("patholog*", "disease*", "tumor", "tumour", "cancer*", "carcinoma", "biops*", "histolog*",
                    "lesion", "infect*", "diagnos*", "patient", "clinic*", "symptom*", "syndrome", "virus", "viral", "bacteri*",
                    "inflammat*", "necros*", "medic*", "doctor", "hospital", "health*", "ill", "illness", "sick*", "surg*",
                    "anatom*", "blood", "tissue", "cell", "autops*", "injur*", "wound", "pain", "painful", "drug",
                    "therap*", "treatment", "heart", "organ", "liver", "kidney", "lung", "brain", "nurse", "vaccin*",
                    "allerg*", "fever", "toxic", "poison*", "vet", "veterinar*", "diet"));

    @Test
    void eachTaskBankHasAtLeast48DistinctSubstantivePrompts() {
        for (String name : TASK_BANKS) {
            PromptBank bank = PromptBank.builtin(name, name);
            assertThat(bank.size()).as(name).isGreaterThanOrEqualTo(48);
            assertThat(bank.prompts().stream().map(PromptBank.Prompt::text).distinct().count()).as(name).isEqualTo(bank.size());
            assertThat(bank.prompts()).as(name).allSatisfy(p -> assertThat(p.text().split(" ").length).isGreaterThanOrEqualTo(5));
            assertThat(bank.topics()).as(name).containsExactly("");
        }
    }

    @Test
    void taskBanksMixQuestionsInstructionsAndSentenceOpenings() {
        for (String name : TASK_BANKS) {
            List<String> texts = PromptBank.builtin(name, name).prompts().stream().map(PromptBank.Prompt::text).toList();
            long questions = texts.stream().filter(t -> t.endsWith("?")).count();
            long openings = texts.stream().filter(t -> !t.endsWith("?") && !t.endsWith(".")).count();
            long instructions = texts.size() - questions - openings;
            assertThat(questions).as(name + " questions").isGreaterThanOrEqualTo(10);
            assertThat(instructions).as(name + " instructions").isGreaterThanOrEqualTo(10);
            assertThat(openings).as(name + " sentence openings").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void controlBankHasAtLeast200PromptsOverAtLeast40Topics() {
        PromptBank control = PromptBank.builtin("control", "control");
        assertThat(control.size()).isGreaterThanOrEqualTo(200);
        assertThat(control.topics()).hasSizeGreaterThanOrEqualTo(40).doesNotContain("");
        Map<String, Integer> perTopic = new HashMap<>();
        control.prompts().forEach(p -> perTopic.merge(p.topic(), 1, Integer::sum));
        assertThat(perTopic.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(3));
        assertThat(control.prompts().stream().map(PromptBank.Prompt::text).distinct().count()).isEqualTo(control.size());
        assertThat(control.prompts().getFirst().id()).matches("control-[a-z]+-001");
    }

    @Test
    void noPromptAppearsInTwoBanks() {
        Map<String, String> owner = new HashMap<>();
        for (String name : PromptBank.BUILTIN) {
            for (PromptBank.Prompt p : PromptBank.builtin(name, name).prompts()) {
                String key = p.text().toLowerCase(Locale.ROOT);
                String earlier = owner.putIfAbsent(key, name);
                assertThat(earlier).as("'" + p.text() + "' in " + name).isNull();
            }
        }
    }

    @Test
    void controlPromptsAvoidEveryTaskDomainsObviousWords() {
        List<String> hits = new ArrayList<>();
        for (PromptBank.Prompt p : PromptBank.builtin("control", "control").prompts()) {
            DOMAIN_WORDS.forEach((domain, words) -> {
                for (String w : words) {
                    if (matches(w, p.text())) hits.add(domain + ":" + w + " in " + p.id() + " '" + p.text() + "'");
                }
            });
        }
        assertThat(hits).isEmpty();
    }

    @Test
    void theKeywordScreenCatchesDomainWordsAndSparesLookalikes() {
        assertThat(matches("PET", "Book a PET scan.")).isTrue();
        assertThat(matches("PET", "Feed the pet.")).isFalse();
        assertThat(matches("law", "Mow the lawn.")).isFalse();
        assertThat(matches("law", "Two new laws passed.")).isTrue();
        assertThat(matches("organ", "an organized match")).isFalse();
        assertThat(matches("fossil*", "Fossilized shells")).isTrue();
        assertThat(matches("bronze age", "Tools of the Bronze Age")).isTrue();
        // and each task bank trips its own screen, so the lists are not vacuous
        for (String name : TASK_BANKS) {
            long caught = PromptBank.builtin(name, name).prompts().stream()
                    .filter(p -> DOMAIN_WORDS.get(name).stream().anyMatch(w -> matches(w, p.text()))).count();
            assertThat(caught).as(name).isGreaterThanOrEqualTo(10);
        }
    }

    static boolean matches(String entry, String text) {
        boolean acronym = entry.chars().noneMatch(Character::isLowerCase) || entry.equals("fMRI");
        boolean stem = entry.endsWith("*");
        String word = stem ? entry.substring(0, entry.length() - 1) : entry;
        String regex = "(?<![A-Za-z])" + Pattern.quote(word) + (stem ? "" : acronym ? "(?![A-Za-z])" : "(?:s|es)?(?![A-Za-z])");
        return Pattern.compile(regex, acronym ? 0 : Pattern.CASE_INSENSITIVE).matcher(text).find();
    }

    @Test
    void bankFilesSkipCommentsAndBlankLinesAndNumberIdsWithinTopics(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("b.txt");
        Files.writeString(f, "# comment\n\nfirst prompt\ncooking\tboil an egg\r\ncooking\tbake bread\nsecond prompt\n");
        PromptBank bank = PromptBank.read(f, "b.txt", "t");
        assertThat(bank.prompts()).extracting(PromptBank.Prompt::id)
                .containsExactly("t-001", "t-cooking-001", "t-cooking-002", "t-002");
        assertThat(bank.prompts()).extracting(PromptBank.Prompt::text)
                .containsExactly("first prompt", "boil an egg", "bake bread", "second prompt");
    }

    @Test
    void duplicatePromptInABankFileIsAnErrorNamingBothLines(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("dup.txt");
        Files.writeString(f, "a prompt\nanother\na prompt\n");
        assertThatThrownBy(() -> PromptBank.read(f, "dup.txt", "t")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("dup.txt:3:").hasMessageContaining("line 1");
    }

    @Test
    void badTopicTagAndNonUtf8AreErrorsNamingTheFile(@TempDir Path dir) throws IOException {
        Path tag = dir.resolve("tag.txt");
        Files.writeString(tag, "ok\nhome repair\tfix a tap\n");
        assertThatThrownBy(() -> PromptBank.read(tag, "tag.txt", "t")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("tag.txt:2:").hasMessageContaining("topic tag 'home repair'");
        Path bin = dir.resolve("bin.txt");
        Files.write(bin, new byte[] {'a', (byte) 0xC3, '\n'});
        assertThatThrownBy(() -> PromptBank.read(bin, "bin.txt", "t")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("bin.txt").hasMessageContaining("UTF-8");
    }

    @Test
    void unknownBuiltinBankListsTheKnownOnes() {
        assertThatThrownBy(() -> PromptBank.builtin("astrology", "x")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("builtin:astrology").hasMessageContaining("politicalscience");
    }
}
