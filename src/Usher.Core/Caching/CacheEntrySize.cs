using Usher.Core.Tensors;

namespace Usher.Core.Caching;

/// <summary>
/// What an entry counts against <c>max_bytes</c>: the key bytes, plus per output tensor its data
/// bytes (BYTES: each element's bytes plus <see cref="StringElementOverhead"/>), 8 bytes per
/// dimension and <see cref="TensorOverhead"/>, plus <see cref="EntryOverhead"/> once. The
/// overheads approximate the objects around the data (entry, key, dictionary slot, list node,
/// completed task, tensor and array headers) on a 64-bit runtime, so that many tiny entries
/// cannot hold far more memory than the bound says.
/// </summary>
internal static class CacheEntrySize
{
    /// <summary>Per entry: entry, key, key array header, dictionary slot, LRU node, completed task, output list.</summary>
    public const int EntryOverhead = 256;

    /// <summary>Per output tensor: the tensor object and its shape array header.</summary>
    public const int TensorOverhead = 96;

    /// <summary>Per BYTES element: its array header and the reference to it.</summary>
    public const int StringElementOverhead = 32;

    public static long Of(CacheKey key, IReadOnlyList<Tensor> outputs)
    {
        long size = EntryOverhead + key.Length;
        foreach (var tensor in outputs)
        {
            size += TensorOverhead + (tensor.Shape.Length * 8L);
            if (tensor.Strings is { } strings)
            {
                foreach (var element in strings)
                {
                    size += StringElementOverhead + element.Length;
                }
            }
            else
            {
                size += tensor.Data.Length;
            }
        }

        return size;
    }
}
