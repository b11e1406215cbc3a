namespace ActorStream.Service;

/// <summary>Prices by SKU: the kind of service an entity takes from dependency injection (a repository, an HTTP client, a clock).</summary>
public interface IPriceList
{
    /// <summary>The unit price of <paramref name="sku"/>.</summary>
    /// <exception cref="KeyNotFoundException">Unknown SKU (the record goes through the pipeline's retry, then to the DLQ).</exception>
    decimal PriceOf(string sku);
}

/// <summary>A fixed price list; replace it with your own source of prices.</summary>
public sealed class PriceList : IPriceList
{
    private static readonly Dictionary<string, decimal> Prices = new(StringComparer.Ordinal)
    {
        ["apple"] = 0.5m,
        ["bread"] = 2.25m,
        ["cheese"] = 6m,
    };

    /// <inheritdoc />
    public decimal PriceOf(string sku) =>
        Prices.TryGetValue(sku, out var price) ? price : throw new KeyNotFoundException($"no price for SKU '{sku}'");
}
