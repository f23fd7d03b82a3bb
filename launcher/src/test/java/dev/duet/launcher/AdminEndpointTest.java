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
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.time.Duration;

import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private HttpResponse<String> post(String id, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.adminPorts().get(id) + path))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
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
        String metrics = get("presenter-1", "/metrics").body();
        assertTrue(metrics.contains("duet_presenter_connections"), "Prometheus text has the presenter's meters");
        assertTrue(metrics.contains("duet_chat_sessions"), "and the chat servers' (one registry per process here)");
        assertEquals(404, get("presenter-1", "/nothing").statusCode());

        assertEquals(202, post("chat-2", "/drain").statusCode());
        assertEquals(503, get("chat-2", "/ready").statusCode());
        assertTrue(get("chat-2", "/status").body().contains("\"draining\":true"));
        assertTrue(waitFor(() -> cluster.presenter().ring().ring().member("chat-2").isEmpty()),
                "a draining chat server leaves the ring");
        assertEquals(200, get("chat-1", "/ready").statusCode());
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
            jmx.invoke(presenter, "drain", new Object[0], new String[0]);
            assertEquals(true, jmx.getAttribute(presenter, "Draining"));
            assertEquals(false, jmx.getAttribute(presenter, "Ready"));
            assertTrue(((String) jmx.getAttribute(presenter, "Status")).contains("\"weight\":0"));
        } finally {
            server.stop();
        }
    }
}
