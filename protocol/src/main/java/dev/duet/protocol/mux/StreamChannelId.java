package dev.duet.protocol.mux;

import io.netty.channel.ChannelId;

/**
 * A stream's id: its connection's id and the stream id, which says which connection a stream belongs to in logs. It
 * is also smaller than Netty's default id (which holds a machine id, a process id, a counter, a timestamp and a random
 * number), and a presenter holds one stream per idle client.
 */
final class StreamChannelId implements ChannelId {
    private final ChannelId connection;
    private final int streamId;

    StreamChannelId(ChannelId connection, int streamId) {
        this.connection = connection;
        this.streamId = streamId;
    }

    @Override
    public String asShortText() {
        return connection.asShortText() + '/' + streamId;
    }

    @Override
    public String asLongText() {
        return connection.asLongText() + '/' + streamId;
    }

    @Override
    public int compareTo(ChannelId other) {
        if (other instanceof StreamChannelId stream) {
            int byConnection = connection.compareTo(stream.connection);
            return byConnection != 0 ? byConnection : Integer.compare(streamId, stream.streamId);
        }
        return asLongText().compareTo(other.asLongText());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StreamChannelId stream && streamId == stream.streamId
                && connection.equals(stream.connection);
    }

    @Override
    public int hashCode() {
        return connection.hashCode() * 31 + streamId;
    }

    @Override
    public String toString() {
        return asShortText();
    }
}
