package dev.duet.chat;

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

/** Bad settings stop {@code duet chat-server} before it starts anything, with a line naming the setting. */
class ChatServerMainTest {
    private static final String[] REQUIRED = {"--id", "c-1", "--token-keys", "keys.properties",
            "--zookeeper", "zk1:2181"};

    private static String refused(Map<String, String> env, String... args) {
        String[] all = new String[REQUIRED.length + args.length];
        System.arraycopy(REQUIRED, 0, all, 0, REQUIRED.length);
        System.arraycopy(args, 0, all, REQUIRED.length, args.length);
        StringWriter err = new StringWriter();
        assertEquals(2, ServerCommandLine.execute(new ChatServerMain(), all, env, new PrintWriter(err, true)),
                err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        return err.toString();
    }

    @Test
    void outOfRangeSettingsAreRefusedNamingTheKey() {
        assertTrue(refused(Map.of(), "--append-timeout", "PT0S").contains("append-timeout must be positive"));
        assertTrue(refused(Map.of(), "--max-body-chars", "0").contains("max-body-chars must be 1..65536"));
        assertTrue(refused(Map.of("DUET_APPEND_ATTEMPTS", "0")).contains("append-attempts must be 1..100"));
    }

    @Test
    void theExampleConfigNamesOnlyKnownSettingsWithValidValues() throws Exception {
        String[] args = {"--config", Path.of("..", "deploy", "config", "chat-server.yaml").toString()};
        ChatServerMain main = new ChatServerMain();
        YamlDefaults.install(new CommandLine(main), args, Map.of()).parseArgs(args);
        main.validate();
    }
}
