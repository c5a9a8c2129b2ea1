namespace Usher.Cli.Pull;

/// <summary>What <see cref="ArtifactPuller"/> did: the file it placed, or why it did not.</summary>
/// <param name="Path">The model file in the target folder.</param>
/// <param name="Sha256">Its SHA-256 (lowercase hex).</param>
/// <param name="Bytes">Bytes received this time.</param>
/// <param name="ResumedAt">The offset a resumed download continued from; 0 for a fresh one.</param>
/// <param name="UpToDate">True when the folder already held the same file.</param>
/// <param name="Error">Why the pull failed; null on success.</param>
internal sealed record PullResult(string Path, string? Sha256, long Bytes, long ResumedAt, bool UpToDate, string? Error)
{
    /// <summary>A failure with its reason.</summary>
    public static PullResult Failed(string path, string error) => new(path, null, 0, 0, UpToDate: false, error);
}
