package dev.duet.protocol.config;

import dev.duet.protocol.mux.MuxSettings;
import picocli.CommandLine.Option;

/**
 * The flow-control windows a server announces on its mux connections (a picocli mixin): how many DATA bytes a peer
 * may send it per stream and per connection before it grants more.
 */
public final class MuxWindowOptions {
    /** Largest window either setting accepts: far beyond what any link needs, and clear of int overflow. */
    public static final int MAX_WINDOW = 1 << 30;

    @Option(names = "--mux-stream-window", defaultValue = "" + MuxSettings.DEFAULT_STREAM_WINDOW,
            description = "Bytes a peer may send on one stream before it is granted more.")
    int streamWindow;

    @Option(names = "--mux-connection-window", defaultValue = "" + MuxSettings.DEFAULT_CONNECTION_WINDOW,
            description = "Bytes a peer may send on one mux connection, all streams together, before it is "
                    + "granted more.")
    int connectionWindow;

    /** Fails, naming the setting, unless both windows are 1 KiB..1 GiB. */
    public void validate() {
        Settings.between("mux-stream-window", streamWindow, 1024, MAX_WINDOW);
        Settings.between("mux-connection-window", connectionWindow, 1024, MAX_WINDOW);
    }

    public int streamWindow() {
        return streamWindow;
    }

    public int connectionWindow() {
        return connectionWindow;
    }
}
