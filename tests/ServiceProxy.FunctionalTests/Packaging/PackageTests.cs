using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Host.Cli;

namespace ServiceProxy.FunctionalTests.Packaging;

/// <summary>
/// <c>dotnet pack</c> makes the two libraries and the <c>svcproxy</c> tool from this build (same
/// configuration, no rebuild); the tool installs from that local feed alone and runs, and the data
/// plane's package pulls in neither YAML nor the Kubernetes package.
/// </summary>
public sealed class PackageTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Pack_makes_both_libraries_and_a_tool_that_installs_from_the_local_feed_and_runs()
    {
        var root = RepositoryRoot();
        var configuration = typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var work = Directory.CreateTempSubdirectory("svcproxy-pack-");
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            var packs = new[] { "src/ServiceProxy", "src/ServiceProxy.Kubernetes", "src/ServiceProxy.Host" }.Select(project =>
                DotnetAsync(work.FullName, "pack", Path.Combine(root, project), "-c", configuration, "--no-build", "-o", feed, "-v", "q"));
            foreach (var pack in await Task.WhenAll(packs))
            {
                Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack.Stdout}\n{pack.Stderr}");
            }

            var version = VersionCommand.Version.Split('+')[0];
            var dataPlane = Path.Combine(feed, $"ServiceProxy.{version}.nupkg");
            var kubernetes = Path.Combine(feed, $"ServiceProxy.Kubernetes.{version}.nupkg");
            Assert.True(File.Exists(Path.Combine(feed, $"svcproxy.{version}.nupkg")), string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName)));

            var dataPlaneDependencies = Dependencies(dataPlane);
            Assert.DoesNotContain("YamlDotNet", dataPlaneDependencies);
            Assert.DoesNotContain("ServiceProxy.Kubernetes", dataPlaneDependencies);
            Assert.DoesNotContain("Microsoft.CodeAnalysis.PublicApiAnalyzers", dataPlaneDependencies);
            Assert.Contains("ServiceProxy", Dependencies(kubernetes));

            // Only the local feed: installing needs nothing from the network.
            var config = Path.Combine(work.FullName, "nuget.config");
            await File.WriteAllTextAsync(config, new XDocument(
                new XElement("configuration",
                    new XElement("packageSources",
                        new XElement("clear"),
                        new XElement("add", new XAttribute("key", "local"), new XAttribute("value", feed))))).ToString());
            var tools = Path.Combine(work.FullName, "tools");
            var install = await DotnetAsync(work.FullName, "tool", "install", "--tool-path", tools, "--configfile", config, "svcproxy", "--version", version);
            Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install.Stdout}\n{install.Stderr}");

            var run = await RunAsync(work.FullName, Path.Combine(tools, "svcproxy"), "version");
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal($"svcproxy {VersionCommand.Version}", run.Stdout.Trim());
            Assert.StartsWith($"svcproxy {version}", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The ids of every dependency the package's nuspec declares.</summary>
    private static HashSet<string> Dependencies(string package)
    {
        using var archive = ZipFile.OpenRead(package);
        var nuspec = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = nuspec.Open();
        return XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static Task<CliResult> DotnetAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, "dotnet", arguments);

    private static async Task<CliResult> RunAsync(string workingDirectory, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        return await ProcessRunner.RunToExitAsync(process, stdin: null, StepTimeout, $"{Path.GetFileName(fileName)} {string.Join(' ', arguments.Take(2))}");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ServiceProxy.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return directory.FullName;
    }
}
