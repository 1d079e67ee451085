using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>What a Node reports about the machine it runs on: its addresses and system information, read as the kubelet reads them.</summary>
internal static class NodeSystem
{
    /// <summary>
    /// <c>InternalIP</c>: the first configured address that is not loopback (IPv4 first), else the
    /// kernel's first such address of an interface that is up, else a configured loopback address,
    /// else 127.0.0.1; then <c>Hostname</c>.
    /// </summary>
    public static IReadOnlyList<NodeAddress> Addresses(IEnumerable<IPAddress> configured, string hostname)
    {
        var candidates = configured.ToList();
        var internalIP = Preferred(candidates.Where(a => !IPAddress.IsLoopback(a)))
            ?? Preferred(KernelAddresses())
            ?? Preferred(candidates)
            ?? IPAddress.Loopback;
        return
        [
            new NodeAddress { Type = "InternalIP", Address = internalIP.ToString() },
            new NodeAddress { Type = "Hostname", Address = hostname },
        ];
    }

    public static NodeSystemInfo Info(string version) => new()
    {
        MachineID = ReadLine("/etc/machine-id"),
        BootID = ReadLine("/proc/sys/kernel/random/boot_id"),
        KernelVersion = ReadLine("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.Version.ToString(),
        OSImage = OsImage(),
        KubeletVersion = version,
        KubeProxyVersion = version,
        OperatingSystem = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : "unknown",
        Architecture = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            Architecture.X86 => "386",
            var other => other.ToString().ToLowerInvariant(),
        },
    };

    /// <summary><c>v</c> and this package's informational version (<c>v1.0.0+commit</c>), semver as a kubelet's is.</summary>
    public static string DefaultVersion() =>
        "v" + (typeof(NodeSystem).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(NodeSystem).Assembly.GetName().Version?.ToString() ?? "0.0.0");

    private static IPAddress? Preferred(IEnumerable<IPAddress> addresses)
    {
        var list = addresses.Where(a => !a.IsIPv6LinkLocal).ToList();
        return list.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? list.FirstOrDefault();
    }

    private static IEnumerable<IPAddress> KernelAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .Where(a => !IPAddress.IsLoopback(a))
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private static string? OsImage()
    {
        const string key = "PRETTY_NAME=";
        try
        {
            var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) : null;
            return line?[key.Length..].Trim('"') ?? RuntimeInformation.OSDescription;
        }
        catch (IOException)
        {
            return RuntimeInformation.OSDescription;
        }
        catch (UnauthorizedAccessException)
        {
            return RuntimeInformation.OSDescription;
        }
    }

    private static string? ReadLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
