"""The tray icon: a StatusNotifierItem with its menu, a part of the daemon.

`service.Tray` serves it on the session bus (its menu object in `dbusmenu`),
`icons` draws its pictures, `menu` holds its entries, `actions` says what a
click does. The tray watches the daemon's glance feed (`ergod.daemon.feed`)
like `ergod status --follow` does.
"""
