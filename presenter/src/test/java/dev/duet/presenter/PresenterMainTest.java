package dev.duet.presenter;

import dev.duet.protocol.config.ServerCommandLine;
import dev.duet.protocol.config.YamlDefaults;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad settings stop {@code duet presenter} before it starts anything, with a line naming the setting. */
class PresenterMainTest {
    private static final String[] REQUIRED = {"--id", "p-1", "--cert", "cert.pem", "--key", "key.pem",
            "--token-keys", "keys.properties", "--zookeeper", "zk1:2181"};

    private static String refused(Map<String, String> env, String... args) {
        String[] all = new String[REQUIRED.length + args.length];
        System.arraycopy(REQUIRED, 0, all, 0, REQUIRED.length);
        System.arraycopy(args, 0, all, REQUIRED.length, args.length);
        StringWriter err = new StringWriter();
        assertEquals(2, ServerCommandLine.execute(new PresenterMain(), all, env, new PrintWriter(err, true)),
                err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        return err.toString();
    }

    @Test
    void outOfRangeSettingsAreRefusedNamingTheKey() {
        assertTrue(refused(Map.of(), "--route-attempts", "0").contains("route-attempts must be 1..10, not 0"));
        assertTrue(refused(Map.of("DUET_MAX_FIRST_FRAME_SIZE", "12")).contains("max-first-frame-size must be"));
        assertTrue(refused(Map.of(), "--mux-stream-window", "-1").contains("mux-stream-window must be"));
        assertTrue(refused(Map.of(), "--zookeeper-session-timeout", "PT0S")
                .contains("zookeeper-session-timeout must be positive"));
        assertTrue(refused(Map.of(), "--idle-timeout", "PT0.5S").contains("idle-timeout must be at least 1 s"));
    }

    @Test
    void theExampleConfigNamesOnlyKnownSettingsWithValidValues() throws Exception {
        String[] args = {"--config", Path.of("..", "deploy", "config", "presenter.yaml").toString()};
        PresenterMain main = new PresenterMain();
        YamlDefaults.install(new CommandLine(main), args, Map.of()).parseArgs(args);
        main.validate();
        assertEquals(3, main.routeAttempts);
    }

    @Test
    void aMissingRequiredSettingIsRefusedNamingIt() {
        StringWriter err = new StringWriter();
        assertEquals(2, ServerCommandLine.execute(new PresenterMain(), new String[] {"--id", "p-1"}, Map.of(),
                new PrintWriter(err, true)));
        assertTrue(err.toString().contains("setting 'cert' is required"), err.toString());
    }
}
