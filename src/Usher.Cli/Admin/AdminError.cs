namespace Usher.Cli.Admin;

/// <summary>An admin request that did not succeed, with the text a user reads and what to fix.</summary>
/// <param name="Kind">Why it failed.</param>
/// <param name="Status">The HTTP status, when the server answered.</param>
/// <param name="Message">One line: what happened and, where known, the fix.</param>
/// <param name="Problems">The server's list of problems (e.g. every error of a deployment spec).</param>
internal sealed record AdminError(AdminErrorKind Kind, int? Status, string Message, IReadOnlyList<string> Problems)
{
    /// <summary>Writes the message, then each problem on its own line, prefixed by the command's name.</summary>
    public void WriteTo(TextWriter writer, string command)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"{command}: {Message}");
        foreach (var problem in Problems)
        {
            writer.WriteLine($"  - {problem}");
        }
    }
}
