namespace Usher.Core.Backends;

/// <summary>
/// An input and an output bound to fixed buffers of a backend session. The caller writes
/// <see cref="Input"/>, calls <see cref="Run"/>, and reads <see cref="Output"/>; nothing is
/// allocated per run. One thread at a time.
/// </summary>
internal interface IDirectRunner : IDisposable
{
    /// <summary>The input's elements as little-endian bytes, to be written before <see cref="Run"/>.</summary>
    Span<byte> Input { get; }

    /// <summary>The output's elements as little-endian bytes, valid after <see cref="Run"/>.</summary>
    ReadOnlySpan<byte> Output { get; }

    /// <summary>Runs the model from <see cref="Input"/> into <see cref="Output"/>. Throws on a backend failure.</summary>
    void Run();
}
