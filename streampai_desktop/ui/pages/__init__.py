"""One module per sidebar page; each page is a plain QWidget fed by a view-model."""
