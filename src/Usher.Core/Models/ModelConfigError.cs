namespace Usher.Core.Models;

/// <summary>
/// One problem found in a <c>config.yaml</c>: where it is and what was expected. <see cref="ToString"/>
/// gives the line a user reads, e.g.
/// <c>config.yaml: dynamic_batching.preferred_batch_size[1]: expected a positive integer, got '-3'</c>.
/// </summary>
/// <param name="Source">The file the text came from, as given to the parser (e.g. <c>config.yaml</c>).</param>
/// <param name="Path">The key path, e.g. <c>inputs[0].dims[1]</c>; null for an error about the whole file.</param>
/// <param name="Message">What was expected and what came, or what to fix.</param>
/// <param name="Line">The 1-based line of the offending node, when known.</param>
internal sealed record ModelConfigError(string Source, string? Path, string Message, int? Line = null)
{
    /// <inheritdoc />
    public override string ToString()
        => Path is null
            ? Line is null ? $"{Source}: {Message}" : $"{Source} line {Line}: {Message}"
            : $"{Source}: {Path}: {Message}";
}
