using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Usher.Server.Access;

/// <summary>
/// Reads a credentials file: one <c>NAME SECRET</c> per line, separated by spaces or tabs; blank lines
/// and lines starting with <c>#</c> are skipped, and a field starting with <c>#</c> starts a comment.
/// Names are letters, digits, <c>.</c>, <c>_</c>, <c>-</c> and <c>@</c> (at most 64); secrets are
/// 16 to 1024 printable ASCII characters. Every problem is reported as <c>file:line: what</c>, never
/// quoting a secret. For an admin token file, a file whose only line is a bare secret is that token,
/// named <see cref="BareTokenName"/> (the shape a mounted secret has).
/// </summary>
internal static class CredentialFile
{
    /// <summary>The name of a bare token (a token file of one secret without a name).</summary>
    public const string BareTokenName = "admin";

    /// <summary>The largest file read; a larger one is a problem, not a buffer.</summary>
    public const long MaxBytes = 1024 * 1024;

    private const int MaxNameLength = 64;
    private const int MinSecretLength = 16;

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static CredentialFileContent Read(string path, bool allowBareToken)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return Failed($"{path}: the file does not exist");
            }

            if (info.Length > MaxBytes)
            {
                return Failed($"{path}: {info.Length} bytes; a credentials file may hold at most {MaxBytes}");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed($"{path}: cannot read: {e.Message}");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Failed($"{path}: not UTF-8 text");
        }

        return Parse(path, text, allowBareToken) with { Digest = SHA256.HashData(bytes) };
    }

    /// <summary>Checks <paramref name="text"/>, the content of <paramref name="path"/>.</summary>
    public static CredentialFileContent Parse(string path, string text, bool allowBareToken)
    {
        var problems = new List<string>();
        var entries = new List<(int Line, string Name, string Secret)>();
        var bare = new List<(int Line, string Secret)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = i + 1;
            var fields = lines[i].TrimEnd('\r').Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var count = Array.FindIndex(fields, f => f.StartsWith('#'));
            count = count < 0 ? fields.Length : count;
            var where = $"{path}:{line.ToString(CultureInfo.InvariantCulture)}";
            if (count == 0)
            {
                continue;
            }

            if (count == 1 && allowBareToken)
            {
                bare.Add((line, fields[0]));
                continue;
            }

            if (count != 2)
            {
                problems.Add(count == 1
                    ? $"{where}: expected 'NAME KEY', got one field (a name or a key alone)"
                    : $"{where}: expected 'NAME KEY', got {count} fields (a key cannot hold spaces; '#' starts a comment)");
                continue;
            }

            if (NameProblem(fields[0]) is { } nameProblem)
            {
                problems.Add($"{where}: {nameProblem}");
            }

            if (SecretProblem(fields[1]) is { } secretProblem)
            {
                problems.Add($"{where}: '{fields[0]}': {secretProblem}");
            }

            entries.Add((line, fields[0], fields[1]));
        }

        if (bare.Count > 0)
        {
            if (bare.Count == 1 && entries.Count == 0)
            {
                if (SecretProblem(bare[0].Secret) is { } problem)
                {
                    problems.Add($"{path}:{bare[0].Line.ToString(CultureInfo.InvariantCulture)}: {problem}");
                }

                entries.Add((bare[0].Line, BareTokenName, bare[0].Secret));
            }
            else
            {
                problems.AddRange(bare.Select(b => $"{path}:{b.Line.ToString(CultureInfo.InvariantCulture)}: expected 'NAME TOKEN' (a token alone is allowed only as the file's one line)"));
            }
        }

        foreach (var group in entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var first = group.First().Line.ToString(CultureInfo.InvariantCulture);
            problems.AddRange(group.Skip(1).Select(e => $"{path}:{e.Line.ToString(CultureInfo.InvariantCulture)}: the name '{e.Name}' is already used on line {first}; names must be unique"));
        }

        foreach (var group in entries.GroupBy(e => e.Secret, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var first = group.First();
            problems.AddRange(group.Skip(1).Select(e => $"{path}:{e.Line.ToString(CultureInfo.InvariantCulture)}: '{e.Name}' has the same key as '{first.Name}' on line {first.Line.ToString(CultureInfo.InvariantCulture)}; each key must be its own"));
        }

        return problems.Count > 0
            ? new CredentialFileContent(null, problems, null)
            : new CredentialFileContent(new CredentialSet(entries.Select(e => new Credential(e.Name, CredentialSet.HashOf(e.Secret)))), [], null);
    }

    private static string? NameProblem(string name)
        => name.Length > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@')
            ? $"the name must be 1 to {MaxNameLength} letters, digits, '.', '_', '-' or '@'"
            : null;

    // Says what is wrong without quoting the secret.
    private static string? SecretProblem(string secret)
    {
        if (secret.Length < MinSecretLength)
        {
            return $"the key has {secret.Length} characters; at least {MinSecretLength} are needed (a short key is easy to guess)";
        }

        if (secret.Length > CredentialSet.MaxSecretLength)
        {
            return $"the key has {secret.Length} characters; at most {CredentialSet.MaxSecretLength} are accepted";
        }

        return secret.All(c => c is > ' ' and < (char)0x7f) ? null : "the key must be printable ASCII (it travels in an HTTP header)";
    }

    private static CredentialFileContent Failed(string problem) => new(null, [problem], null);
}
