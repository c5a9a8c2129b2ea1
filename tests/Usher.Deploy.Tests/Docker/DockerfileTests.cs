using System.Xml.Linq;
using Usher.Cli.Commands;
using Usher.Server.Hosting;
using Usher.Testing;
using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Docker;

/// <summary>
/// deploy/docker/Dockerfile, read (no Docker engine here to build it): the invariants a
/// Kubernetes deployment relies on, each checked against the source of the fact, not the file alone.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly Lazy<Dockerfile> File = new(() => Dockerfile.Parse(System.IO.File.ReadAllText(RepoRoot.Combine("deploy", "docker", "Dockerfile"))));

    private static Dockerfile Image => File.Value;

    private static DockerInstruction Last(string keyword)
        => Image.In(Image.FinalStage, keyword).LastOrDefault() ?? throw new Xunit.Sdk.XunitException($"the final stage has no {keyword}");

    private static Dictionary<string, string> FinalEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in Image.In(Image.FinalStage, "ENV"))
        {
            foreach (var pair in instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                Assert.True(parts.Length == 2, $"line {instruction.Line}: ENV in the KEY=VALUE form, got '{pair}'");
                env[parts[0]] = parts[1];
            }
        }

        return env;
    }

    private static YamlMappingNode ChartValues()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(System.IO.File.ReadAllText(RepoRoot.Combine("deploy", "helm", "usher", "values.yaml"))));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string Value(YamlMappingNode values, params string[] path)
    {
        YamlNode node = values;
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        }

        return ((YamlScalarNode)node).Value!;
    }

    [Fact]
    public void Runtime_RunsAsANumericUserThatIsNotRoot()
    {
        var user = Last("USER").Arguments;

        // Numeric, or Kubernetes' runAsNonRoot cannot verify it; and not uid 0.
        Assert.True(int.TryParse(user.Split(':')[0], out var uid), $"USER {user}: expected a numeric uid");
        Assert.NotEqual(0, uid);
    }

    [Fact]
    public void EntrypointAndCmd_RunUsherServe_AndParseWithTheUsherCommand()
    {
        var entrypoint = Dockerfile.ExecForm(Last("ENTRYPOINT"));
        var cmd = Dockerfile.ExecForm(Last("CMD"));
        Assert.NotNull(entrypoint);
        Assert.NotNull(cmd);

        // The entrypoint is the published Usher.Cli binary: its assembly name, in the folder the
        // build stage publishes to and the runtime stage copies.
        var assemblyName = XDocument.Load(RepoRoot.Combine("src", "Usher.Cli", "Usher.Cli.csproj")).Descendants("AssemblyName").Single().Value;
        var publish = Image.Instructions.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var output = System.Text.RegularExpressions.Regex.Match(publish.Arguments, @"-o\s+(\S+)").Groups[1].Value;
        var copy = Image.In(Image.FinalStage, "COPY").Single(c => Dockerfile.CopyFrom(c) == publish.Stage);
        Assert.Equal([output], Image.CopySources(copy));
        var installed = copy.Arguments.Split(' ')[^1];
        Assert.Equal($"{installed}/{assemblyName}", entrypoint![0]);
        Assert.Single(entrypoint);

        // `docker run IMAGE` serves; the arguments parse as the usher command's serve.
        Assert.Equal(["serve"], cmd);
        var parse = UsherRootCommand.Create().Parse([.. cmd!]);
        Assert.Empty(parse.Errors);
        Assert.Equal("serve", parse.CommandResult.Command.Name);
    }

    [Fact]
    public void Publish_BuildsTheCliProject()
    {
        var publish = Image.Instructions.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        var project = System.Text.RegularExpressions.Regex.Match(publish.Arguments, @"dotnet publish\s+(\S+)").Groups[1].Value;
        Assert.Equal("src/Usher.Cli/Usher.Cli.csproj", project);
        Assert.True(System.IO.File.Exists(RepoRoot.Combine(project.Split('/'))), project);
    }

    [Fact]
    public void CopiesFromTheBuildContext_NameFilesThatExist_AndThatTheIgnoreFileKeeps()
    {
        var ignored = System.IO.File.ReadAllLines(RepoRoot.Combine("deploy", "docker", "Dockerfile.dockerignore"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        var copies = Image.Instructions.Where(i => i.Keyword == "COPY" && Dockerfile.CopyFrom(i) is null).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            foreach (var source in Image.CopySources(copy))
            {
                var path = RepoRoot.Combine(source.TrimEnd('/').Split('/'));
                Assert.True(System.IO.File.Exists(path) || Directory.Exists(path), $"line {copy.Line}: COPY {source}: not in the repository");
                Assert.DoesNotContain(ignored, pattern => source.TrimEnd('/') == pattern.TrimEnd('/'));
            }
        }
    }

    [Fact]
    public void BakedModels_AreARepositoryOfModelVersions()
    {
        var models = Image.ArgDefault("MODEL_REPOSITORY");
        Assert.NotNull(models);
        var repository = RepoRoot.Combine(models!.Split('/'));
        Assert.True(System.IO.File.Exists(Path.Combine(repository, "fraud", "1", "model.onnx")), $"{models}: expected <model>/<version>/model.onnx");
    }

    [Fact]
    public void ExposedPorts_AreTheServersDefaults_AndTheCharts()
    {
        var exposed = Image.In(Image.FinalStage, "EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToList();
        var defaults = new ServerOptions();
        Assert.Equal([defaults.HttpPort, defaults.GrpcPort], exposed);

        var values = ChartValues();
        Assert.Equal([int.Parse(Value(values, "server", "httpPort")), int.Parse(Value(values, "server", "grpcPort"))], exposed);
    }

    [Fact]
    public void Environment_IsValidServerSettings_WithStateOutsideTheRepository()
    {
        var env = FinalEnvironment();
        using var models = new TempDirectory();

        // The server's own loader reads the image's USHER_* variables (only the repository is
        // moved to a folder that exists here).
        var settings = UsherSettings.Load(null, new Dictionary<string, string> { ["repository:path"] = models.Path }, env);
        Assert.Equal("/var/lib/usher", settings.Admin.DataDir);
        Assert.Equal("/models", env["USHER_REPOSITORY__PATH"]);

        // The base image's ASPNETCORE_HTTP_PORTS (8080) is cleared: Kestrel listens where usher.yaml says.
        Assert.Equal(string.Empty, env["ASPNETCORE_HTTP_PORTS"]);
    }

    [Fact]
    public void WritablePaths_AreOwnedByTheUser_DeclaredVolumes_AndTheChartsMounts()
    {
        var env = FinalEnvironment();
        var uid = Last("USER").Arguments.Split(':')[0];
        var dataDir = env["USHER_ADMIN__DATA_DIR"];

        // The state folder exists, belongs to the user, and is a volume (writable under --read-only).
        Assert.Contains(Image.In(Image.FinalStage, "RUN"), r => r.Arguments.Contains($"mkdir -p {dataDir}", StringComparison.Ordinal) && r.Arguments.Contains($"chown {uid}:{uid} {dataDir}", StringComparison.Ordinal));
        Assert.Contains(dataDir, Last("VOLUME").Arguments);

        // The chart mounts its volumes where the image expects them.
        var values = ChartValues();
        Assert.Equal(dataDir, Value(values, "state", "mountPath"));
        Assert.Equal(env["USHER_REPOSITORY__PATH"], Value(values, "models", "mountPath"));
    }

    [Fact]
    public void Parse_JoinsContinuedLines_AndTagsStages()
    {
        var file = Dockerfile.Parse("""
            # syntax=docker/dockerfile:1
            FROM base AS one
            RUN a \
                # a comment inside
                b
            FROM other
            COPY --from=one /x /y
            """);

        Assert.Equal(["FROM", "RUN", "FROM", "COPY"], file.Instructions.Select(i => i.Keyword));
        Assert.Equal("a b", System.Text.RegularExpressions.Regex.Replace(file.Instructions[1].Arguments, @"\s+", " "));
        Assert.Equal("one", file.Instructions[1].Stage);
        Assert.Equal("stage-1", file.FinalStage);
        Assert.Equal("one", Dockerfile.CopyFrom(file.Instructions[3]));
        Assert.Throws<FormatException>(() => Dockerfile.Parse("RUN a \\"));
    }
}
