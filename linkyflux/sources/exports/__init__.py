"""The files customers download from Enedis (docs/enedis-exports.md), read into the same
typed readings as the API's answers: the format is found from the content, never the name.

``r63`` reads the R63 load-curve CSV, ``webcsv`` the customer space's old
``Enedis_Conso_Heure`` CSV. Each reader yields readings in the file's order and
raises :class:`~linkyflux.errors.BadFile` naming the file, the line and what is wrong.
"""
