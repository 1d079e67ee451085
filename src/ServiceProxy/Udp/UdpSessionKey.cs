using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Udp;

/// <summary>
/// A client's (ip, port) as seen by one listen socket, read straight from the received
/// <see cref="SocketAddress"/> bytes so the per-datagram lookup allocates nothing.
/// </summary>
/// <remarks>
/// sockaddr_in and sockaddr_in6 put the port at offset 2 and the address at offset 4 (IPv4) or
/// 8 (IPv6, scope id at 24) on Linux, Windows and macOS alike. The hash is seeded per process
/// (<see cref="HashCode"/>) because clients choose their ports and, for UDP, can forge their IPs.
/// </remarks>
internal readonly struct UdpSessionKey : IEquatable<UdpSessionKey>
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly uint _scopeId;
    private readonly ushort _port;
    private readonly ushort _listener;
    private readonly bool _isIPv6;

    private UdpSessionKey(int listener, bool isIPv6, ulong high, ulong low, uint scopeId, ushort port)
    {
        _listener = (ushort)listener;
        _isIPv6 = isIPv6;
        _high = high;
        _low = low;
        _scopeId = scopeId;
        _port = port;
    }

    public int Port => _port;

    public static UdpSessionKey From(int listener, SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (address.Family == AddressFamily.InterNetworkV6)
        {
            return new UdpSessionKey(
                listener,
                isIPv6: true,
                BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
                BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
                BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]),
                port);
        }

        return new UdpSessionKey(listener, isIPv6: false, 0, BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), 0, port);
    }

    /// <summary>The client's address (allocates; only when a session is created).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!_isIPv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)_low);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _low);
        return new IPAddress(bytes, _scopeId);
    }

    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), _port);

    public bool Equals(UdpSessionKey other) =>
        _low == other._low && _port == other._port && _listener == other._listener
        && _high == other._high && _scopeId == other._scopeId && _isIPv6 == other._isIPv6;

    public override bool Equals(object? obj) => obj is UdpSessionKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_low, _high, _port, _listener, _scopeId);

    public static bool operator ==(UdpSessionKey left, UdpSessionKey right) => left.Equals(right);

    public static bool operator !=(UdpSessionKey left, UdpSessionKey right) => !left.Equals(right);
}
