package dev.duet.protocol.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where a server's settings come from, for every command-line option not given on the command line: first the
 * environment ({@code DUET_MUX_PORT} for {@code --mux-port}), then the YAML config file ({@code mux-port: 7100}),
 * then the option's own default. A key in the file that names no option is an error naming the key, so a typo cannot
 * silently leave a setting at its default.
 */
public final class YamlDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, Object> file;
    private final Map<String, String> environment;

    private YamlDefaults(Map<String, Object> file, Map<String, String> environment) {
        this.file = file;
        this.environment = environment;
    }

    /**
     * Sets up {@code commandLine} to read defaults from the file named by {@code --config} in {@code args} (if any)
     * and from the environment.
     */
    public static CommandLine install(CommandLine commandLine, String[] args) throws IOException {
        return install(commandLine, args, System.getenv());
    }

    /** As {@link #install(CommandLine, String[])}, with the environment given. */
    public static CommandLine install(CommandLine commandLine, String[] args, Map<String, String> environment)
            throws IOException {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                config = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--config=")) {
                config = Path.of(args[i].substring("--config=".length()));
            }
        }
        Map<String, Object> values = config == null ? Map.of() : load(config);
        Set<String> known = commandLine.getCommandSpec().optionsMap().keySet();
        for (String key : values.keySet()) {
            if (!known.contains("--" + key)) {
                throw new InvalidSettingException(config + ": unknown setting '" + key + "'");
            }
        }
        return commandLine.setDefaultValueProvider(new YamlDefaults(values, environment));
    }

    private static Map<String, Object> load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            if (parsed == null) {
                return Map.of();
            }
            if (!(parsed instanceof Map<?, ?> map)) {
                throw new InvalidSettingException(file + ": expected 'key: value' lines at the top level");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> settings = (Map<String, Object>) map;
            return settings;
        }
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        String key = option.longestName().replaceFirst("^--", "");
        String fromEnvironment = environment.get("DUET_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnvironment != null) {
            return fromEnvironment;
        }
        Object fromFile = file.get(key);
        return fromFile == null ? null : fromFile.toString();
    }
}
