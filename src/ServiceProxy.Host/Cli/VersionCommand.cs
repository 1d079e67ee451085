using System.CommandLine;
using System.Reflection;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy version</c>: the version of this build, as its package is numbered (<c>svcproxy 1.2.3+commit</c>).</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of svcproxy.");
        command.SetAction(_ => Console.Out.WriteLine($"svcproxy {Version}"));
        return command;
    }

    /// <summary>The informational version: the package version, then <c>+</c> and the source revision when the build knew it.</summary>
    public static string Version { get; } =
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
