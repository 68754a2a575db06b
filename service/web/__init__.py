"""The web application: FastAPI pages and a JSON API over questionnaires, answers and the KB.

    from service.web.app import create_app
    app = create_app(Settings.from_env())
"""
