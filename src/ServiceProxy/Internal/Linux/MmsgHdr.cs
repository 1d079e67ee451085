using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary><c>struct iovec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}

/// <summary><c>struct msghdr</c> (64-bit layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public byte* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary><c>struct mmsghdr</c>: one message of <c>recvmmsg</c>/<c>sendmmsg</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MmsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
