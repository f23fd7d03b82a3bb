package dev.duet.protocol.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class YamlDefaultsTest {
    @Command(name = "server")
    static final class Server {
        @Option(names = "--config")
        Path config;
        @Option(names = "--id")
        String id;
        @Option(names = "--mux-port", defaultValue = "7100")
        int muxPort;
        @Option(names = "--bind", defaultValue = "0.0.0.0")
        String bind;
    }

    private static Server parse(Map<String, String> env, String... args) throws Exception {
        Server server = new Server();
        YamlDefaults.install(new CommandLine(server), args, env).parseArgs(args);
        return server;
    }

    @Test
    void commandLineBeatsEnvironmentBeatsFileBeatsDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, "id: chat-1\nmux-port: 7200\nbind: 10.0.0.1\n");
        Server fromFile = parse(Map.of(), "--config", file.toString());
        assertEquals("chat-1", fromFile.id);
        assertEquals(7200, fromFile.muxPort);
        Server fromEnvironment = parse(Map.of("DUET_MUX_PORT", "7300"), "--config", file.toString());
        assertEquals(7300, fromEnvironment.muxPort);
        Server fromCommandLine = parse(Map.of("DUET_MUX_PORT", "7300"), "--config", file.toString(), "--mux-port", "7400");
        assertEquals(7400, fromCommandLine.muxPort);
        assertEquals(7100, parse(Map.of()).muxPort);
    }

    @Test
    void anUnknownKeyIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, "mux-prot: 7200\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse(Map.of(), "--config", file.toString()));
        assertTrue(e.getMessage().contains("mux-prot"), e.getMessage());
    }

    @Test
    void aMissingRequiredSettingIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.require("id", null));
        assertTrue(e.getMessage().contains("DUET_ID"), e.getMessage());
    }
}
