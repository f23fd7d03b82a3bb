package dev.duet.launcher;

import dev.duet.chat.testing.SharedHBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.time.Duration;
import java.util.Map;

import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin HTTP endpoints and the JMX MBeans of a running presenter and chat servers. */
class AdminEndpointTest {
    @TempDir
    Path data;

    private LocalCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpResponse<String> get(String id, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.adminPorts().get(id) + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String id, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + cluster.adminPorts().get(id) + path)).POST(HttpRequest.BodyPublishers.ofString("{}"))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String bearer() throws Exception {
        return "Bearer " + Files.readString(LocalCluster.adminTokenFile(data)).trim();
    }

    @Test
    void healthReadinessStatusMetricsAndDrainOverHttp() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 2, 0, 0, 0));
        for (String id : cluster.adminPorts().keySet()) {
            assertEquals(200, get(id, "/health").statusCode(), id);
            assertEquals(200, get(id, "/ready").statusCode(), id);
        }
        String status = get("presenter-1", "/status").body();
        assertTrue(status.contains("\"role\":\"presenter\""), status);
        assertTrue(status.contains("\"ringMembers\":[\"chat-1\",\"chat-2\"]"), status);
        java.util.regex.Matcher weight = java.util.regex.Pattern.compile("\"weight\":(\\d+)").matcher(status);
        assertTrue(weight.find(), status);
        int value = Integer.parseInt(weight.group(1));
        assertTrue(value >= 1 && value <= 255, "a serving presenter's weight is 1-255, not " + value);
        assertTrue(get("presenter-1", "/metrics").body().contains("duet_presenter_connections"),
                "Prometheus text has the presenter's meters");
        assertEquals(404, get("presenter-1", "/nothing").statusCode());

        assertEquals(202, post("chat-2", "/drain", "Authorization", bearer(), "Content-Type", "application/json")
                .statusCode());
        assertEquals(503, get("chat-2", "/ready").statusCode());
        assertTrue(get("chat-2", "/status").body().contains("\"draining\":true"));
        assertTrue(waitFor(() -> cluster.presenter().ring().ring().member("chat-2").isEmpty()),
                "a draining chat server leaves the ring");
        assertEquals(200, get("chat-1", "/ready").statusCode());
    }

    @Test
    void drainNeedsTheTokenAJsonBodyAndNoOriginAndTheRefusalsChangeNothing() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        String json = "application/json";
        for (String id : cluster.adminPorts().keySet()) {
            assertEquals(401, post(id, "/drain", "Content-Type", json).statusCode(), id);
            assertEquals(401, post(id, "/drain", "Authorization", "Bearer " + "x".repeat(43), "Content-Type", json)
                    .statusCode(), id);
            assertEquals(415, post(id, "/drain", "Authorization", bearer(), "Content-Type", "text/plain")
                    .statusCode(), "a web page's simple POST: " + id);
            assertEquals(403, post(id, "/drain", "Authorization", bearer(), "Content-Type", json, "Origin",
                    "https://evil.example").statusCode(), id);
            assertEquals(403, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + cluster.adminPorts().get(id) + "/status")).header("Origin", "https://evil.example").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "reads from a web page too: " + id);
            assertEquals(200, get(id, "/ready").statusCode(), "still serving: " + id);
        }
    }

    @Test
    void eachEndpointShowsItsOwnServersMetersAndTheJvms() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 2, 0, 0, 0));
        System.gc();
        Map<String, String> foreignPrefix = Map.of("presenter-1", "duet_chat_", "chat-1", "duet_presenter_",
                "chat-2", "duet_presenter_");
        String bucket = "_latency_seconds_bucket{le=\"0.001\"}";
        Map<String, String> latency = Map.of("presenter-1", "duet_presenter_routing" + bucket,
                "chat-1", "duet_chat_append" + bucket, "chat-2", "duet_chat_append" + bucket);
        for (String id : cluster.adminPorts().keySet()) {
            assertTrue(waitFor(() -> metrics(id).contains("jvm_gc_pause_seconds")), id + " has the GC pauses");
            String metrics = metrics(id);
            assertTrue(metrics.contains("jvm_memory_used_bytes"), id + " has the JVM's memory");
            assertTrue(metrics.contains("netty_allocator_memory_used"), id + " has Netty's allocator");
            assertTrue(metrics.contains(latency.get(id)), id + " has its latency histogram:\n" + metrics);
            assertFalse(metrics.contains(foreignPrefix.get(id)), id + " has only its own server's meters:\n" + metrics);
        }
    }

    private String metrics(String id) {
        try {
            return get(id, "/metrics").body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theSameFactsAndDrainOverJmx() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        LocateRegistry.createRegistry(port);
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
        JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(url, null,
                ManagementFactory.getPlatformMBeanServer());
        server.start();
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection jmx = connector.getMBeanServerConnection();
            ObjectName presenter = new ObjectName("dev.duet:type=presenter,name=\"presenter-1\"");
            assertEquals(true, jmx.getAttribute(presenter, "Ready"));
            assertTrue(((String) jmx.getAttribute(presenter, "Status")).contains("\"connections\":0"));
            assertTrue(jmx.queryNames(new ObjectName("dev.duet:*"), null).size() > 2,
                    "the admin MBeans and the meters are in the dev.duet domain");
            ObjectName connections = new ObjectName("dev.duet:name=duetPresenterConnections.server.presenter-1,*");
            assertEquals(1, jmx.queryNames(connections, null).size(), "a meter's MBean names its server");
            jmx.invoke(presenter, "drain", new Object[0], new String[0]);
            assertEquals(true, jmx.getAttribute(presenter, "Draining"));
            assertEquals(false, jmx.getAttribute(presenter, "Ready"));
            assertTrue(((String) jmx.getAttribute(presenter, "Status")).contains("\"weight\":0"));
        } finally {
            server.stop();
        }
    }
}
