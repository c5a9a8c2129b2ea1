namespace Usher.Cli.Batch;

/// <summary>Joins text parts: a header, then every part's bytes as they are.</summary>
internal static class ConcatenatedParts
{
    /// <summary>Writes <paramref name="header"/> then the parts to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(byte[] header, IReadOnlyList<string> parts, Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        foreach (var part in parts)
        {
            await using var input = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            await input.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
        }
    }
}
