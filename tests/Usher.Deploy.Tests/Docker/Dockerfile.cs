using System.Text.Json;
using System.Text.RegularExpressions;

namespace Usher.Deploy.Tests.Docker;

/// <summary>
/// A Dockerfile read as its instructions: comments and parser directives dropped, lines joined
/// across a trailing backslash, each instruction tagged with its stage (the <c>AS</c> name of the
/// <c>FROM</c> above it). Enough to check the invariants of <c>deploy/docker/Dockerfile</c>; no
/// variable expansion beyond <c>ARG</c> defaults.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> instructions) => Instructions = instructions;

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    /// <summary>The stage the image is built from when no target is given: the last one.</summary>
    public string FinalStage => Instructions[^1].Stage;

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var stage = string.Empty;
        var pending = string.Empty;
        var start = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line)))
            {
                continue;
            }

            if (pending.Length > 0 && line.TrimStart().StartsWith('#'))
            {
                continue; // a comment inside a continued instruction
            }

            if (pending.Length == 0)
            {
                start = i + 1;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var whole = (pending + line).Trim();
            pending = string.Empty;
            var space = whole.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            var arguments = space < 0 ? string.Empty : whole[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var from = StageName().Match(arguments);
                stage = from.Success ? from.Groups[1].Value : $"stage-{instructions.Count(x => x.Keyword == "FROM")}";
            }

            instructions.Add(new DockerInstruction(keyword, arguments, stage, start));
        }

        return pending.Length == 0
            ? new Dockerfile(instructions)
            : throw new FormatException("the Dockerfile ends inside a continued line");
    }

    public IEnumerable<DockerInstruction> In(string stage, string keyword) => Instructions.Where(i => i.Stage == stage && i.Keyword == keyword);

    /// <summary>An instruction's arguments in JSON (exec) form, or null when it uses the shell form.</summary>
    public static IReadOnlyList<string>? ExecForm(DockerInstruction instruction)
        => instruction.Arguments.StartsWith('[') ? JsonSerializer.Deserialize<string[]>(instruction.Arguments) : null;

    /// <summary>The default value of build argument <paramref name="name"/>.</summary>
    public string? ArgDefault(string name)
        => Instructions.Where(i => i.Keyword == "ARG")
            .Select(i => i.Arguments.Split('=', 2))
            .Where(p => p[0] == name && p.Length == 2)
            .Select(p => p[1].Trim('"'))
            .LastOrDefault();

    /// <summary>The sources of a <c>COPY</c> (flags such as <c>--from</c> and <c>--chown</c> dropped), with ARG defaults expanded.</summary>
    public IReadOnlyList<string> CopySources(DockerInstruction copy)
    {
        var words = ExecForm(copy) ?? copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
        return [.. paths.Take(paths.Count - 1).Select(p => Variable().Replace(p, m => ArgDefault(m.Groups[1].Value) ?? m.Value))];
    }

    /// <summary>The <c>--from=</c> stage of a <c>COPY</c>, or null when it copies from the build context.</summary>
    public static string? CopyFrom(DockerInstruction copy) => CopyFromFlag().Match(copy.Arguments) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"\s+AS\s+(\S+)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex StageName();

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"--from=(\S+)")]
    private static partial Regex CopyFromFlag();
}
