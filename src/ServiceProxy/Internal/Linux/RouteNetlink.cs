using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// <c>ip route add|del local CIDR dev lo</c> as one rtnetlink request each (RTM_NEWROUTE /
/// RTM_DELROUTE in the local table, scope host, type local), acknowledged by the kernel before
/// the call returns. Hand-written because no library in reach speaks rtnetlink from .NET and the
/// whole exchange is two small fixed messages; needs CAP_NET_ADMIN.
/// </summary>
internal static class RouteNetlink
{
    public const int EPERM = 1;
    public const int ESRCH = 3;
    public const int EEXIST = 17;

    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const ushort RtmNewRoute = 24;
    private const ushort RtmDelRoute = 25;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;
    private const ushort NlmFExcl = 0x200;
    private const ushort NlmFCreate = 0x400;
    private const byte RtTableLocal = 255;
    private const byte RtProtBoot = 3;
    private const byte RtScopeHost = 254;
    private const byte RtnLocal = 2;
    private const ushort RtaDst = 1;
    private const ushort RtaOif = 4;

    /// <summary>Adds the local route; 0, or the errno (<see cref="EEXIST"/> when it is there already, <see cref="EPERM"/> without CAP_NET_ADMIN).</summary>
    public static int AddLocal(IPNetwork network) => Request(RtmNewRoute, NlmFCreate | NlmFExcl, network);

    /// <summary>Deletes the local route; 0, or the errno (<see cref="ESRCH"/> when it is gone).</summary>
    public static int DeleteLocal(IPNetwork network) => Request(RtmDelRoute, 0, network);

    private static unsafe int Request(ushort type, ushort flags, IPNetwork network, string device = "lo")
    {
        var ifIndex = Libc.IfNameToIndex(device);
        if (ifIndex == 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        var addressLength = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        var length = 16 + 12 + 4 + addressLength + 8; // nlmsghdr, rtmsg, RTA_DST, RTA_OIF (all 4-aligned)
        Span<byte> message = stackalloc byte[length];
        message.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(message[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(message[6..], (ushort)(NlmFRequest | NlmFAck | flags));
        BinaryPrimitives.WriteUInt32LittleEndian(message[8..], 1); // sequence
        var rtmsg = message[16..];
        rtmsg[0] = (byte)(addressLength == 4 ? 2 : 10); // AF_INET, AF_INET6 on Linux
        rtmsg[1] = (byte)network.PrefixLength;
        rtmsg[4] = RtTableLocal;
        rtmsg[5] = RtProtBoot;
        rtmsg[6] = RtScopeHost;
        rtmsg[7] = RtnLocal;
        var dst = message[28..];
        BinaryPrimitives.WriteUInt16LittleEndian(dst, (ushort)(4 + addressLength));
        BinaryPrimitives.WriteUInt16LittleEndian(dst[2..], RtaDst);
        network.BaseAddress.TryWriteBytes(dst[4..], out _);
        var oif = dst[(4 + addressLength)..];
        BinaryPrimitives.WriteUInt16LittleEndian(oif, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(oif[2..], RtaOif);
        BinaryPrimitives.WriteUInt32LittleEndian(oif[4..], ifIndex);

        var fd = Libc.Socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            Span<byte> kernel = stackalloc byte[12]; // sockaddr_nl: family, pad, pid 0 (the kernel), groups 0
            kernel.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(kernel, AfNetlink);
            fixed (byte* m = message)
            fixed (byte* k = kernel)
            {
                if (Libc.SendTo(fd, m, (nuint)length, 0, k, 12) < 0)
                {
                    return Marshal.GetLastPInvokeError();
                }
            }

            // The kernel handles a route request within sendto and queues its acknowledgement, so
            // this receive does not wait: an NLMSG_ERROR holding 0 or a negated errno.
            Span<byte> reply = stackalloc byte[1024];
            nint received;
            fixed (byte* r = reply)
            {
                received = Libc.Recv(fd, r, (nuint)reply.Length, 0);
            }

            if (received < 0)
            {
                return Marshal.GetLastPInvokeError();
            }

            if (received < 20 || BinaryPrimitives.ReadUInt16LittleEndian(reply[4..]) != NlmsgError)
            {
                return 0;
            }

            return -BinaryPrimitives.ReadInt32LittleEndian(reply[16..]);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
