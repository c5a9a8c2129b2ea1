using Usher.Core.Inference;

namespace Usher.Streaming.Pipeline;

/// <summary>A scorer's outcome: the OIP JSON response and the version that answered, or the error.</summary>
internal readonly record struct StreamScore(ReadOnlyMemory<byte> Response, long Version, InferenceError? Error)
{
    public static StreamScore Failed(InferenceError error) => new(ReadOnlyMemory<byte>.Empty, 0, error);
}
