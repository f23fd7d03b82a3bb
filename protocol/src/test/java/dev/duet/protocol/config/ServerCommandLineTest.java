package dev.duet.protocol.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerCommandLineTest {
    @Command(name = "server")
    static final class Server implements Callable<Integer> {
        @Option(names = "--config")
        Path config;
        @Option(names = "--max-body-chars")
        int maxBodyChars = 4096;
        @Option(names = "--append-timeout", defaultValue = "PT5S")
        Duration appendTimeout;
        @Mixin
        ZooKeeperOptions zookeeper;
        @Mixin
        MuxWindowOptions mux;
        boolean ran;

        @Override
        public Integer call() {
            Settings.between("max-body-chars", maxBodyChars, 1, 65536);
            Settings.positive("append-timeout", appendTimeout);
            zookeeper.validate();
            mux.validate();
            ran = true;
            return 0;
        }
    }

    private final StringWriter err = new StringWriter();

    private int run(Server server, Map<String, String> env, String... args) {
        return ServerCommandLine.execute(server, args, env, new PrintWriter(err, true));
    }

    @Test
    void goodSettingsFromEveryPlaceRun(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, "zookeeper: zk1:2181\nmux-stream-window: 131072\n");
        Server server = new Server();
        assertEquals(0, run(server, Map.of("DUET_ZOOKEEPER_SESSION_TIMEOUT", "PT20S"), "--config", file.toString()),
                err.toString());
        assertTrue(server.ran);
        assertEquals("zk1:2181", server.zookeeper.connectString());
        assertEquals(20_000, server.zookeeper.sessionTimeoutMillis());
        assertEquals(5_000, server.zookeeper.connectionTimeoutMillis());
        assertEquals(131072, server.mux.streamWindow());
        assertEquals(4096, server.maxBodyChars, "a field's initial value is its default");
    }

    @Test
    void aBadValueIsRefusedNamingTheKeyWithoutAStackTrace() {
        Server server = new Server();
        int code = run(server, Map.of("DUET_MAX_BODY_CHARS", "0"), "--zookeeper", "zk1:2181");
        assertEquals(2, code);
        assertFalse(server.ran);
        assertTrue(err.toString().contains("max-body-chars must be 1..65536, not 0"), err.toString());
        assertTrue(err.toString().contains("DUET_MAX_BODY_CHARS"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void aNonPositiveTimeoutAndInconsistentZooKeeperTimeoutsAreRefused() {
        assertEquals(2, run(new Server(), Map.of(), "--zookeeper", "zk1", "--append-timeout", "PT0S"));
        assertTrue(err.toString().contains("append-timeout must be positive"), err.toString());
        assertEquals(2, run(new Server(), Map.of(), "--zookeeper", "zk1", "--zookeeper-connection-timeout", "PT1M"));
        assertTrue(err.toString().contains("zookeeper-connection-timeout must not be longer than "
                + "zookeeper-session-timeout"), err.toString());
        assertEquals(2, run(new Server(), Map.of(), "--zookeeper", "zk1", "--mux-connection-window", "10"));
        assertTrue(err.toString().contains("mux-connection-window must be 1024..1073741824, not 10"), err.toString());
    }

    @Test
    void anUnknownKeyInTheFileIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, "zookeeper-sesion-timeout: PT20S\n");
        assertEquals(2, run(new Server(), Map.of(), "--config", file.toString()));
        assertTrue(err.toString().contains("unknown setting 'zookeeper-sesion-timeout'"), err.toString());
    }

    @Test
    void aMissingRequiredSettingIsRefused() {
        assertEquals(2, run(new Server(), Map.of()));
        assertTrue(err.toString().contains("setting 'zookeeper' is required"), err.toString());
    }
}
