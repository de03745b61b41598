/* ft_plot.h - attention heatmaps through gnuplot, and raw dumps.
 * The plot is drawn by running gnuplot (Debian's gnuplot-nox; the binary named
 * by $BT_GNUPLOT, else "gnuplot" on PATH) on a generated script: one head as a
 * T x T image with the tokens on both axes (rows: queries, top to bottom;
 * columns: keys) and a colour bar, or all heads of a layer as a grid. PNG
 * (pngcairo) or SVG by the output's extension. gnuplot writes into a temporary
 * file beside the output that is renamed into place only when gnuplot exited
 * 0 and produced a non-empty file; its first error line is reported.
 * Dumps: JSON {tokens, layer, heads, attention: [head][query][key]} or CSV
 * rows "layer,head,query,query_token,key,key_token,weight". */
#ifndef BT_FT_PLOT_H
#define BT_FT_PLOT_H

#include "check.h"

struct ft_attn_view {
    int T, n_heads, layer;
    const char *const *tokens; /* (T) labels */
    const int *heads;          /* (n_heads) head numbers */
    const float *const *att;   /* (n_heads) pointers to (T, T) row-major matrices */
    const char *title;         /* e.g. the sentence; may be NULL */
};

/* 1 for ".png", 2 for ".svg", 0 otherwise. */
int ft_plot_format(const char *path);
int ft_plot_heatmap(const char *path, const struct ft_attn_view *v, char *err) BT_WUR;
/* ".json" or ".csv" by extension; anything else is BT_EUSAGE. */
int ft_plot_dump(const char *path, const struct ft_attn_view *v, char *err) BT_WUR;

#endif
